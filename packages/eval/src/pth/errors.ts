// The one error type of the .pth reader: every refusal (malformed zip, unsupported opcode, forbidden global, missing
// storage) is a PthError whose message names the file and what was refused, and where.

export class PthError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PthError';
  }
}
