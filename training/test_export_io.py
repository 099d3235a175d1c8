"""training.export writes model files atomically: a failed export leaves an existing file whole and
no temporary file behind, and exits non-zero with a message (no traceback)."""
import contextlib
import io
import os
import stat
import tempfile
import unittest
from unittest import mock

from training import export


class AtomicOutputTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix='mvae-export-io-')
        self.out = os.path.join(self.dir, 'model.mvae')
        with open(self.out, 'wb') as f:
            f.write(b'old model')
        os.chmod(self.out, 0o640)

    def tearDown(self):
        for f in os.listdir(self.dir):
            os.unlink(os.path.join(self.dir, f))
        os.rmdir(self.dir)

    def read(self):
        with open(self.out, 'rb') as f:
            return f.read()

    def test_a_failure_midway_keeps_the_old_file(self):
        with self.assertRaises(OSError) as cm:
            with export.atomic_output(self.out) as path:
                with open(path, 'wb') as f:
                    f.write(b'half a')
                raise OSError(28, 'No space left on device', path)
        self.assertEqual(cm.exception.filename, self.out)
        self.assertEqual(self.read(), b'old model')
        self.assertEqual(os.listdir(self.dir), ['model.mvae'])

    def test_success_replaces_the_file_keeping_its_mode(self):
        with export.atomic_output(self.out) as path:
            self.assertNotEqual(path, self.out)
            with open(path, 'wb') as f:
                f.write(b'new model')
        self.assertEqual(self.read(), b'new model')
        self.assertEqual(stat.S_IMODE(os.stat(self.out).st_mode), 0o640)
        self.assertEqual(os.listdir(self.dir), ['model.mvae'])

    def test_a_folder_and_a_missing_folder_are_refused(self):
        for out in (self.dir, os.path.join(self.dir, 'no', 'model.mvae')):
            with self.assertRaises(OSError) as cm, export.atomic_output(out):
                pass
            self.assertEqual(cm.exception.filename, out)

    def test_main_exits_with_a_message(self):
        model = os.path.join(self.dir, 'no', 'x.mvae')
        write_model = mock.patch.object(export.mvae_format, 'write_model', side_effect=OSError(28, 'No space left on device'))
        fake_checkpoint = mock.patch.object(export, 'export', side_effect=lambda ckpt, out, *a: _write(out))
        for args, pattern in (
                (['--ckpt', os.path.join(self.dir, 'missing.pt'), '--out', self.out], r'cannot read .*missing\.pt: No such file'),
                (['--ckpt', 'x', '--out', model], r'cannot write .*no/x\.mvae: No such file or directory \(ENOENT\)'),
                (['--ckpt', 'x', '--out', self.out], r'cannot write .*model\.mvae: No space left on device \(ENOSPC\)')):
            err = io.StringIO()
            patches = [fake_checkpoint, write_model] if args[1] == 'x' else []
            with contextlib.ExitStack() as stack, contextlib.redirect_stderr(err):
                for p in patches:
                    stack.enter_context(p)
                with self.assertRaises(SystemExit) as cm:
                    export.main(args)
            self.assertRegex(str(cm.exception.code), pattern)
            self.assertEqual(self.read(), b'old model')
        self.assertEqual(sorted(os.listdir(self.dir)), ['model.mvae'])


def _write(out):
    with export.atomic_output(out) as path:
        export.mvae_format.write_model(path, {}, {})


if __name__ == '__main__':
    unittest.main()
