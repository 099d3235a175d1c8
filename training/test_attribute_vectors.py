"""training/attribute_vectors.py: the quarter rule on a hand-made case, and the engine's attributes
of a window through training/engine.py (a hand-worked melody)."""
import unittest

import numpy as np

from training import attribute_vectors
from training.engine import attribute_names, events_to_notes, note_attributes


class AttributeVectorsTest(unittest.TestCase):
    def test_top_quarter_minus_bottom_quarter(self):
        # 8 rows: attribute = row index; z = [row, 1]; NaN rows are left out.
        z = np.stack([np.arange(8.0), np.ones(8)], 1).astype(np.float32)
        attrs = np.arange(8.0)[:, None].astype(np.float32)
        attrs[3] = np.nan
        [v] = attribute_vectors.attribute_vectors(z, attrs, np.random.default_rng(0))
        # 7 valid rows -> quarters of 1 row: top row 7, bottom row 0.
        self.assertEqual(v['low'], 0.0)
        self.assertEqual(v['high'], 7.0)
        np.testing.assert_array_equal(v['vector'], [7.0, 0.0])

    def test_engine_attributes_of_a_window(self):
        self.assertEqual(attribute_names(), ['density', 'pitch', 'range', 'syncopation'])
        # Events (min pitch 21): C4 at step 0, E4 at 3, G4 at 8, C5 at 13, note off at 20.
        events = np.zeros(32, np.int32)
        for step, pitch in ((0, 60), (3, 64), (8, 67), (13, 72)):
            events[step] = pitch - 21 + 2
        events[20] = 1
        a = note_attributes(events_to_notes(events, 21, 108), 32)
        np.testing.assert_array_equal(a, np.float32([2.0, 65.75, 12.0, 0.5]))


if __name__ == '__main__':
    unittest.main()
