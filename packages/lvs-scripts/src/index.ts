export {
  exportIpvsadmSave,
  type IpvsadmExportOptions,
  type IpvsadmExportResult,
  type IpvsadmImportOptions,
  importIpvsadmSave,
  type LegacyImportResult,
} from "./ipvsadm-save.ts";
export {
  type DirectorScript,
  importLvsScripts,
  type RealServerScript,
  type ScriptImportOptions,
  type ScriptSource,
} from "./lvs-scripts.ts";
export { readShellScript, type ShellCommand, type ShellScript, type ShellWord } from "./shell.ts";
