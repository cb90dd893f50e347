// Opens a dataset from its serialisable description: what each loader worker does at start-up.
import {SubsetDataset, type Dataset, type DatasetDescription} from './dataset.js';
import {loadIdxDataset} from './fashion_mnist.js';
import {ImageFolderDataset} from './image_folder.js';
import {SyntheticDataset} from './synthetic.js';

export async function openDataset(description: DatasetDescription): Promise<Dataset> {
  switch (description.kind) {
    case 'idx':
      return loadIdxDataset(description.images, description.labels, description.classNames);
    case 'image-folder': {
      const {root, classNames, entries, channels} = description;
      return new ImageFolderDataset(root, classNames, entries, channels);
    }
    case 'synthetic':
      return new SyntheticDataset(description.options);
    case 'subset':
      return new SubsetDataset(await openDataset(description.base), description.indices);
    case 'module': {
      const mod = (await import(description.module)) as Record<string, unknown>;
      const name = description.exportName ?? 'default';
      const factory = mod[name];
      if (typeof factory !== 'function') throw new Error(`openDataset: ${description.module} has no function export '${name}'`);
      const dataset = (await (factory as (options: unknown) => Dataset | Promise<Dataset>)(description.options)) as Dataset;
      if (dataset === null || typeof dataset !== 'object' || typeof dataset.get !== 'function' || !(dataset.size >= 0)) {
        throw new Error(`openDataset: ${description.module}#${name} did not return a Dataset`);
      }
      return dataset;
    }
    default:
      throw new Error(`openDataset: unknown dataset kind ${JSON.stringify((description as {kind: unknown}).kind)}`);
  }
}
