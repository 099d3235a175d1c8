// Writing output files so that a failure loses nothing (Node): each file goes to a temporary file in
// its own folder, flushed, then renamed over the target, so the old file stays whole until the new
// one is complete. Several files are written together: all temporaries first, then the renames.
import fs from 'node:fs';
import path from 'node:path';

/** A read or write that failed; message: `cannot write FILE: reason (CODE)`. */
export class FileError extends Error {
  constructor(verb, file, cause) {
    super(`cannot ${verb} ${file}: ${describe(cause)}`);
    this.name = 'FileError';
    this.code = cause && cause.code;
  }
}

/** A Node file-system error's reason without its syscall and path: "no space left on device (ENOSPC)". */
export function describe(e) {
  if (!e || !e.code) return String(e && e.message ? e.message : e);
  const reason = String(e.message).replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '').replace(/, \w+$/, '');
  return `${reason} (${e.code})`;
}

function writeAll(fd, data) {
  for (let done = 0; done < data.length;) done += fs.writeSync(fd, data, done, data.length - done);
}

/**
 * Writes each {file, data} (string or bytes) atomically; throws FileError naming the file that
 * failed, after removing every temporary file. A target that exists and is not a regular file
 * (a device such as /dev/stdout, a pipe) is written in place; a folder is refused.
 */
export function writeFiles(outputs) {
  const staged = [];
  try {
    for (const { file, data } of outputs) {
      const bytes = typeof data === 'string' ? Buffer.from(data) : data;
      let target = file;
      let stat = null;
      try {
        target = fs.realpathSync(file);
        stat = fs.statSync(target);
      } catch (e) {
        if (e.code !== 'ENOENT') throw new FileError('write', file, e);
      }
      if (stat && stat.isDirectory()) throw new FileError('write', file, Object.assign(new Error('EISDIR: is a directory'), { code: 'EISDIR' }));
      if (stat && !stat.isFile()) {
        staged.push({ file, bytes, inPlace: target });
        continue;
      }
      const temp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${staged.length}.tmp`);
      let fd;
      try {
        fd = fs.openSync(temp, 'wx', stat ? stat.mode & 0o777 : 0o666);
        staged.push({ file, temp, target });
        writeAll(fd, bytes);
        fs.fsyncSync(fd);
      } catch (e) {
        throw new FileError('write', file, e);
      } finally {
        if (fd !== undefined) fs.closeSync(fd);
      }
    }
    // Devices and pipes first (they may fail, e.g. /dev/full), then the renames (which do not lose data).
    staged.sort((x, y) => !!y.inPlace - !!x.inPlace);
    for (const s of staged) {
      try {
        if (s.inPlace) fs.writeFileSync(s.inPlace, s.bytes);
        else fs.renameSync(s.temp, s.target);
        s.done = true;
      } catch (e) {
        throw new FileError('write', s.file, e);
      }
    }
  } finally {
    for (const s of staged) if (s.temp && !s.done) fs.rmSync(s.temp, { force: true });
  }
}

/** Reads a file; throws FileError. */
export function readFile(file, encoding) {
  try {
    return fs.readFileSync(file, encoding);
  } catch (e) {
    throw new FileError('read', file, e);
  }
}
