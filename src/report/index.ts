// Renderers of a Report (and of fuzz/failover results): text, JSON, CSV, HTML. Text, CSV and HTML renderers return
// a whole file ending in a newline (write them as they are); the JSON renderers return JSON.stringify's text with
// no final newline (add one).

export { renderText, type TextOptions } from './text.js';
export { renderJson, renderFuzzJson, renderFailoverJson, orderedReport } from './json.js';
export {
  renderCsv,
  renderFlowsCsvHeader,
  flowsCsvHeader,
  flowsCsvRow,
  FlowsCsvWriter,
  REPORT_CSV_HEADER,
  FLOWS_CSV_COLUMNS,
  type CsvOptions,
} from './csv.js';
export { renderHtml, type HtmlMeta } from './html.js';
export { renderFuzzText, renderFailoverText, shellQuote } from './trials.js';
export { formatP, groupDigits, humanBytes, percent, escapeHtml, csvField } from './format.js';
