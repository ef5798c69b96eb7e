// The one error type of the model layer. A bad model file (truncated safetensors, a config.json
// without a required key, a missing shard) is the user's input being wrong, so it is reported as
// data the CLI can print — file, tensor, what is wrong — never as a RangeError from deep inside a
// DataView.

export class ModelFileError extends Error {
  /** The file at fault, as the user would type it. */
  readonly file: string;
  /** What is wrong, without the file name. */
  readonly detail: string;
  /** The tensor or config key concerned, where there is one. */
  readonly item: string | undefined;

  constructor(file: string, detail: string, item?: string) {
    super(item === undefined ? `${file}: ${detail}` : `${file}: ${item}: ${detail}`);
    this.name = 'ModelFileError';
    this.file = file;
    this.detail = detail;
    this.item = item;
  }
}
