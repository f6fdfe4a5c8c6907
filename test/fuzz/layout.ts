// Where a fuzz case's files live, relative to its sandbox, and the markers the verdict looks for.

/** The user's working folder: the command's default cwd. */
export const WORK = 'home/user/work';
/** The model's folder: cases write model.onnx (and its external data) here. */
export const MODEL_DIR = `${WORK}/model`;
/** A file outside the model's folder that no model may read; its size and text must never be printed or written. */
export const SECRET = 'secret/secret.bin';
export const SECRET_TEXT = 'eennc-fuzz-secret';
export const SECRET_SIZE = 7919;
/** Name of the file injection payloads try to create (absolute: Box.canary; relative: in make's folder). */
export const CANARY_NAME = 'PWNED';
