// Spreadsheets in the browser, for the import page: an .xlsx's first sheet (exceljs) or a .csv
// (RFC 4180, read here) as the rows POST /api/v1/imports/check takes — the header row's cells,
// then each row under it with its number in the sheet (the header is row 1; a CSV's record, blank
// lines counted, as a spreadsheet program shows it), rows blank under the header's columns left
// out, as `iiifd import` reads a CSV (read_sheet_csv, daemon/sheet_import.cpp); and the .xlsx
// template made from GET /api/v1/public/import-columns.
import ExcelJS from "exceljs";

// "1789-07-14": a date cell's day (exceljs reads them as UTC dates).
function isoDay(date) {
  return date.toISOString().slice(0, 10);
}

// A cell's value as the check takes it: text, or null when empty.
export function cellText(value) {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : isoDay(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (typeof value === "string") return value;
  if (Array.isArray(value.richText)) return value.richText.map((run) => run.text).join("");
  if ("result" in value || "formula" in value || "sharedFormula" in value) return cellText(value.result);
  if ("text" in value) return cellText(value.text);  // a hyperlink
  return null;  // an error (#N/A...)
}

const blank = (cells) => cells.every((cell) => cell === null || String(cell).trim() === "");

// {headers, rows: [{row, cells}]} of a table given as arrays of cells, the first the header.
function table(records) {
  const headers = (records[0]?.cells || []).map((cell) => (cell === null ? "" : String(cell)));
  while (headers.length && headers[headers.length - 1].trim() === "") headers.pop();
  const rows = records.slice(1)
    .map(({ row, cells }) => ({ row, cells: headers.map((_, c) => cells[c] ?? null) }))
    .filter(({ cells }) => !blank(cells));
  return { headers, rows };
}

// RFC 4180: quoted fields, doubled quotes, line breaks inside quotes; ";" instead of "," when
// the first line holds more of them (as French spreadsheets write). Records as arrays.
export function parseCsv(text) {
  const body = text.startsWith("\uFEFF") ? text.slice(1) : text;
  const firstLine = body.slice(0, body.indexOf("\n") < 0 ? body.length : body.indexOf("\n"));
  const count = (c) => firstLine.split(c).length - 1;
  const delimiter = count(";") > count(",") ? ";" : ",";
  const records = [];
  let record = [];
  let field = "";
  let quoted = false;
  let i = 0;
  const endField = () => {
    record.push(field);
    field = "";
  };
  const endRecord = () => {
    endField();
    records.push(record);
    record = [];
  };
  while (i < body.length) {
    const c = body[i];
    if (quoted) {
      if (c === '"' && body[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (c === '"') quoted = false;
      else field += c;
      i += 1;
      continue;
    }
    if (c === '"' && field === "") quoted = true;
    else if (c === delimiter) endField();
    else if (c === "\r" && body[i + 1] === "\n") {
      endRecord();
      i += 1;
    } else if (c === "\n" || c === "\r") endRecord();
    else field += c;
    i += 1;
  }
  if (quoted) throw new Error("a quoted field is not closed");
  if (field !== "" || record.length) endRecord();
  return records;
}

// A CSV's text: UTF-8, else Windows-1252 (what spreadsheet programs write as "CSV" there).
function decode(buffer) {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(buffer);
  } catch {
    return new TextDecoder("windows-1252").decode(buffer);
  }
}

async function readXlsx(buffer) {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(buffer);
  const sheet = workbook.worksheets[0];
  if (!sheet) throw new Error("no sheet");
  const records = [];
  sheet.eachRow({ includeEmpty: false }, (row, number) => {
    const cells = [];
    row.eachCell({ includeEmpty: false }, (cell, column) => {
      cells[column - 1] = cellText(cell.value);
    });
    records.push({ row: number, cells: Array.from(cells, (cell) => cell ?? null) });
  });
  // The header is the sheet's first row, even when it is empty.
  if (records.length && records[0].row !== 1) records.unshift({ row: 1, cells: [] });
  return table(records);
}

// The spreadsheet in `file` (.xlsx or .csv, by its name): {headers, rows}.
export async function readSheet(file) {
  const buffer = await file.arrayBuffer();
  if (/\.csv$/i.test(file.name) || file.type === "text/csv") {
    return table(parseCsv(decode(buffer)).map((cells, index) => ({ row: index + 1, cells })));
  }
  return readXlsx(buffer);
}

// The .xlsx template: the headers (`french`: the French ones) with each column's help as its
// note, the example row, and a second sheet explaining every column. `texts`: the sheets' and
// the help table's names. A Blob.
export async function templateXlsx(columns, french, texts) {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet(texts.sheet, { views: [{ state: "frozen", ySplit: 1 }] });
  sheet.addRow(columns.map((column) => (french ? column.french : column.english)));
  sheet.addRow(columns.map((column) => column.example));
  sheet.getRow(1).font = { bold: true };
  columns.forEach((column, index) => {
    sheet.getColumn(index + 1).width = Math.max(12, Math.min(40, column.example.length + 2));
    sheet.getCell(1, index + 1).note = column.help;
  });
  const help = workbook.addWorksheet(texts.helpSheet);
  help.addRow([texts.column, texts.otherName, texts.what, texts.example]);
  help.getRow(1).font = { bold: true };
  for (const column of columns) {
    help.addRow([french ? column.french : column.english, french ? column.english : column.french,
      column.help, column.example]);
  }
  [24, 24, 70, 40].forEach((width, index) => {
    help.getColumn(index + 1).width = width;
  });
  const bytes = await workbook.xlsx.writeBuffer();
  return new Blob([bytes], { type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" });
}
