// Renderers of a Report (and of fuzz/failover results): text, JSON, CSV, HTML. Each returns a whole file's text,
// ending in a newline: write it with process.stdout.write, not console.log.

export { renderText, type TextOptions } from './text.js';
export { renderJson, renderFuzzJson, renderFailoverJson, orderedReport } from './json.js';
export {
  renderCsv,
  renderFlowsCsvHeader,
  flowsCsvRow,
  FlowsCsvWriter,
  REPORT_CSV_HEADER,
  FLOWS_CSV_COLUMNS,
  type CsvOptions,
} from './csv.js';
export { renderHtml, type HtmlMeta } from './html.js';
export { renderFuzzText, renderFailoverText, shellQuote } from './trials.js';
export { formatP, groupDigits, humanBytes, percent, escapeHtml, csvField } from './format.js';
