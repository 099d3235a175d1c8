// Errors thrown by the MusicVAE WebAssembly API. Every error is a MusicVAEError (an Error) with a
// string `code`; the subclasses let callers tell the kinds apart with instanceof.

export class MusicVAEError extends Error {
  constructor(message, code = 'MUSICVAE_ERROR') {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A bad argument: wrong type, size, count or range, NaN, an unquantized sequence. */
export class InvalidArgumentError extends MusicVAEError {
  constructor(message) {
    super(message, 'INVALID_ARGUMENT');
  }
}

/** The model bytes are not a valid MVAE model file (or not one at all). */
export class BadModelError extends MusicVAEError {
  constructor(message) {
    super(message, 'BAD_MODEL');
  }
}

/**
 * A magenta.js checkpoint (or MVAE file being written) that cannot be converted: the message says
 * what is wrong with it. A checkpoint of a family the engine does not run gives UnsupportedError.
 */
export class ConvertError extends BadModelError {}

/** A well-formed request this engine or model does not support (chords, a model feature, ...). */
export class UnsupportedError extends MusicVAEError {
  constructor(message) {
    super(message, 'UNSUPPORTED');
  }
}

/** encode on a model without encoder weights (e.g. Magenta's mel_2bar_small decoder alone). */
export class NoEncoderError extends MusicVAEError {
  constructor(message) {
    super(message, 'NO_ENCODER');
  }
}

/** Notes or tokens that the model's converter cannot represent (e.g. a pitch out of range). */
export class BadInputError extends MusicVAEError {
  constructor(message) {
    super(message, 'BAD_INPUT');
  }
}

export class OutOfMemoryError extends MusicVAEError {
  constructor(message) {
    super(message, 'OUT_OF_MEMORY');
  }
}

/** A call on a model after dispose(). */
export class DisposedError extends MusicVAEError {
  constructor(message = 'this MusicVAE has been disposed') {
    super(message, 'DISPOSED');
  }
}

/** The WebAssembly engine could not be loaded (not built, not found, no WASM SIMD support). */
export class EngineError extends MusicVAEError {
  constructor(message) {
    super(message, 'ENGINE');
  }
}

const byCode = {
  INVALID_ARGUMENT: InvalidArgumentError,
  BAD_MODEL: BadModelError,
  UNSUPPORTED: UnsupportedError,
  NO_ENCODER: NoEncoderError,
  BAD_INPUT: BadInputError,
  OUT_OF_MEMORY: OutOfMemoryError,
  DISPOSED: DisposedError,
  ENGINE: EngineError,
};

/**
 * The error for an engine error code (the name of an mvae_status, as the engine's mvw_status_code
 * gives it: 'INVALID_ARGUMENT', 'BAD_INPUT', ...) with its message.
 */
export function errorForCode(code, message) {
  const Class = byCode[code];
  return Class ? new Class(message || code) : new MusicVAEError(message || code, code || 'MUSICVAE_ERROR');
}

/** Plain data for postMessage, and back (used by the Worker wrapper). */
export function serializeError(e) {
  return { name: e && e.name, code: e && e.code, message: e && e.message ? e.message : String(e) };
}

export function deserializeError(data) {
  return errorForCode(data.code, data.message);
}
