/**
 * Image format inspection, as Nova and Glance learned it (OSSA-2024-001,
 * OSSA-2024-002, OSSA-2026-002): what an image file really is, whether QEMU
 * would reach other host files through it, and whether it is what its
 * disk_format says. The image service runs it on uploads as the data streams
 * into the store; the libvirt driver runs verifyImageFile on the downloaded
 * file before any qemu-img call.
 */
export { FormatInspector, inspectImageFile, verifyImageFile } from './format-inspector/inspector.js';
export type { FormatInspectorOptions, InspectionResult } from './format-inspector/inspector.js';
export { checkDeclaredFormat, recordedVirtualSize } from './format-inspector/declared.js';
export type { DeclaredFormatOptions } from './format-inspector/declared.js';
export type { DetectedFormat } from './format-inspector/probe.js';
export { ImageFormatMismatch, ImageUnacceptable, UnsafeImage, UnsupportedDiskFormat } from './format-inspector/errors.js';
