//! Shared rendering: tables that fill the terminal (and do not wrap at all
//! off a terminal, so an id is never split), and event rows.

use std::sync::atomic::{AtomicU16, Ordering};

use comfy_table::{ContentArrangement, Table, presets};

/// The width tables are laid out for when nobody said otherwise (the
/// in-process tests).
const WIDTH: u16 = 80;

/// What the binary found standard output to be: 0 not told (80 columns), a
/// terminal's width, or [`UNWRAPPED`].
static LAYOUT: AtomicU16 = AtomicU16::new(0);
const UNWRAPPED: u16 = u16::MAX;

/// Called by the binary: tables as wide as the terminal standard output is,
/// or not wrapped at all when it is a pipe or a file.
pub fn detect() {
    use std::io::IsTerminal;
    let width = if std::io::stdout().is_terminal() {
        Table::new().width().unwrap_or(WIDTH)
    } else {
        UNWRAPPED
    };
    LAYOUT.store(width, Ordering::Relaxed);
}

fn lay_out(table: &mut Table) {
    match LAYOUT.load(Ordering::Relaxed) {
        UNWRAPPED => {
            table.set_content_arrangement(ContentArrangement::Disabled);
        }
        width => {
            table
                .set_content_arrangement(ContentArrangement::Dynamic)
                .set_width(if width == 0 { WIDTH } else { width });
        }
    }
}

/// A new table with our look: no borders to copy-paste around, as wide as
/// the terminal.
pub(crate) fn table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table
        .load_style(presets::NOTHING)
        .set_header(header.iter().copied());
    lay_out(&mut table);
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
    table.load_style(presets::NOTHING);
    lay_out(&mut table);
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
    let text = table
        .to_string()
        .lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n");
    neutralised(&text)
}

/// Text for a terminal with its control characters made visible: a value
/// stored in a case (a reason, a name, a note) could otherwise carry an
/// escape sequence that clears the screen, retitles the window or hides
/// what follows. Line breaks and tabs stay; everything else below U+0020,
/// DEL and the C1 controls (U+0080–U+009F) become `\u{…}`. JSON escapes them
/// itself and CSV is written as stored.
pub(crate) fn neutralised(text: &str) -> String {
    let control = |c: char| {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !text.chars().any(control) {
        return text.to_owned();
    }
    text.chars()
        .map(|c| {
            if control(c) {
                format!("\\u{{{:x}}}", u32::from(c))
            } else {
                c.to_string()
            }
        })
        .collect()
}
