// A one-line progress bar redrawn in place on stderr; nothing at all when stderr is not a
// terminal, so logs and pipes get only the command's summary line.

export interface ProgressBar {
  update(done: number): void;
  finish(): void;
}

const WIDTH = 30;

export function createProgressBar(
  total: number,
  unit: string,
  stream: NodeJS.WriteStream = process.stderr,
): ProgressBar {
  if (!stream.isTTY) return { update() {}, finish() {} };
  const draw = (done: number) => {
    const filled = total === 0 ? WIDTH : Math.round((done / total) * WIDTH);
    const percent = total === 0 ? 100 : Math.floor((done / total) * 100);
    stream.write(
      `\r[${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${String(percent).padStart(3)}% ${done}/${total} ${unit}`,
    );
  };
  draw(0);
  return {
    update: draw,
    finish() {
      stream.write('\n');
    },
  };
}
