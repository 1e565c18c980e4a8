//! Shared rendering: tables that fit an 80-column terminal, and event rows.

use comfy_table::{ContentArrangement, Table, presets};

/// The width tables are laid out for.
const WIDTH: u16 = 80;

/// A new table with our look: no borders to copy-paste around, 80 columns.
pub(crate) fn table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table
        .load_style(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(WIDTH)
        .set_header(header.iter().copied());
    table
}

/// A progress bar for long work, on stderr (indicatif hides it when stderr is
/// not a terminal): `what` [bar] done/total (rate, time left).
pub(crate) fn progress(total: u64, what: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} ({per_sec}, {eta})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_message(what.to_owned());
    bar
}

/// A two-column table of labels and values.
pub(crate) fn key_values(rows: &[(&str, String)]) -> String {
    let mut table = Table::new();
    table
        .load_style(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(WIDTH);
    for (key, value) in rows {
        table.add_row([(*key).to_owned(), value.clone()]);
    }
    trimmed(&table)
}

/// A table in the chosen format: laid out for people, or as CSV (RFC 4180:
/// a header row, fields quoted when they hold a comma, a quote or a line
/// break). JSON is each command's own, from its data, not from the table.
pub(crate) fn render(table: &Table, format: crate::args::Format) -> String {
    if format != crate::args::Format::Csv {
        return trimmed(table);
    }
    let field = |text: String| {
        if text.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", text.replace('"', "\"\""))
        } else {
            text
        }
    };
    let line = |row: &comfy_table::Row| {
        row.cell_iter()
            .map(|cell| field(cell.content()))
            .collect::<Vec<_>>()
            .join(",")
    };
    let mut lines: Vec<String> = table.header().map(line).into_iter().collect();
    lines.extend(table.row_iter().map(line));
    lines.join("\n")
}

/// The table as text, without the padding comfy-table leaves at line ends.
pub(crate) fn trimmed(table: &Table) -> String {
    table
        .to_string()
        .lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
}
