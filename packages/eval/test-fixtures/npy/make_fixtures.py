# Writes the .npy fixtures of packages/eval/src/npy.test.ts with real NumPy (run once, by hand, with Debian's python3
# and its NumPy 1.24: `/usr/bin/python3 make_fixtures.py`); the files are committed and CI never runs this.
# The values are exact in float32, so the test can state them: arange(6) / 4 as [2, 3], and [3, -1, 7] as int32.
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
np.save(os.path.join(HERE, 'f4_2x3.npy'), (np.arange(6, dtype='<f4') / 4).reshape(2, 3))
np.save(os.path.join(HERE, 'i4_3.npy'), np.array([3, -1, 7], dtype='<i4'))
