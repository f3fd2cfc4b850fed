/**
 * Why image data is refused. The messages are written for the API user (they
 * become the 400 of an upload and the fault of a failed spawn), so they name
 * formats and checks but never echo bytes from the image.
 */

/** Nova's ImageUnacceptable: the data may not be used as an image of the declared format. */
export class ImageUnacceptable extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The content is another format than the declared disk_format (or none the declaration allows). */
export class ImageFormatMismatch extends ImageUnacceptable {
  constructor(readonly declaredFormat: string, readonly detectedFormat: string) {
    super(`Image content does not match disk_format: disk_format is ${declaredFormat} but the data is ${detectedFormat}.`);
  }
}

/** The declared disk_format is not one the inspector knows how to vet. */
export class UnsupportedDiskFormat extends ImageUnacceptable {
  constructor(readonly declaredFormat: string) {
    super(`Image not in a supported format: disk_format ${declaredFormat} cannot be inspected.`);
  }
}

/** The content is the declared format, but uses features that would let QEMU reach other files. */
export class UnsafeImage extends ImageUnacceptable {
  constructor(readonly issues: readonly string[]) {
    super(`Image failed safety checks: ${issues.join(' ')}`);
  }
}
