/**
 * Tags are numbers, group * 0x10000 + element: positive (no sign bit from <<), cheap to compare and
 * to use as Map keys.
 */
export const tag = (group: number, element: number): number => group * 0x10000 + element;
export const groupOf = (t: number): number => Math.floor(t / 0x10000);
export const elementOf = (t: number): number => t % 0x10000;
export const isPrivate = (t: number): boolean => groupOf(t) % 2 === 1;
/** (gggg,0010)-(gggg,00FF) in an odd group: the Private Creator of block xx. */
export const isPrivateCreator = (t: number): boolean =>
  isPrivate(t) && elementOf(t) >= 0x10 && elementOf(t) <= 0xff;

export function tagHex(t: number): string {
  return t.toString(16).toUpperCase().padStart(8, "0");
}

export const TAG = {
  MetaGroupLength: 0x00020000,
  FileMetaInformationVersion: 0x00020001,
  MediaStorageSOPClassUID: 0x00020002,
  MediaStorageSOPInstanceUID: 0x00020003,
  TransferSyntaxUID: 0x00020010,
  ImplementationClassUID: 0x00020012,
  ImplementationVersionName: 0x00020013,
  DirectoryRecordSequence: 0x00041220,
  SpecificCharacterSet: 0x00080005,
  ImageType: 0x00080008,
  SOPClassUID: 0x00080016,
  SOPInstanceUID: 0x00080018,
  Modality: 0x00080060,
  Manufacturer: 0x00080070,
  CodeValue: 0x00080100,
  CodingSchemeDesignator: 0x00080102,
  CodeMeaning: 0x00080104,
  ManufacturerModelName: 0x00081090,
  PatientName: 0x00100010,
  PatientID: 0x00100020,
  IssuerOfPatientID: 0x00100021,
  PatientBirthDate: 0x00100030,
  PatientIdentityRemoved: 0x00120062,
  DeidentificationMethod: 0x00120063,
  DeidentificationMethodCodeSequence: 0x00120064,
  SamplesPerPixel: 0x00280002,
  PhotometricInterpretation: 0x00280004,
  PlanarConfiguration: 0x00280006,
  NumberOfFrames: 0x00280008,
  Rows: 0x00280010,
  Columns: 0x00280011,
  BitsAllocated: 0x00280100,
  BurnedInAnnotation: 0x00280301,
  LongitudinalTemporalInformationModified: 0x00280303,
  FloatPixelData: 0x7fe00008,
  DoubleFloatPixelData: 0x7fe00009,
  PixelData: 0x7fe00010,
  DataSetTrailingPadding: 0xfffcfffc,
  Item: 0xfffee000,
  ItemDelimitationItem: 0xfffee00d,
  SequenceDelimitationItem: 0xfffee0dd,
} as const;

export const isPixelDataTag = (t: number): boolean =>
  t === TAG.PixelData || t === TAG.FloatPixelData || t === TAG.DoubleFloatPixelData;
