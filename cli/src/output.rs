//! Shared rendering: tables that fit an 80-column terminal, and event rows.

use comfy_table::{ContentArrangement, Table, presets};
use kroonika_engine::RecordedEvent;

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

/// The table as text, without the padding comfy-table leaves at line ends.
pub(crate) fn trimmed(table: &Table) -> String {
    table
        .to_string()
        .lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The JSON form of an event, as `log --format json` prints it (one per line).
/// Stable: fields are only ever added.
pub(crate) fn event_json(event: &RecordedEvent) -> serde_json::Value {
    let data = event
        .data
        .to_value()
        .unwrap_or_else(|_| serde_json::Value::String(event.data.as_str().to_owned()));
    serde_json::json!({
        "position": event.position,
        "stream": event.stream,
        "revision": event.revision,
        "id": event.id,
        "type": event.event_type,
        "recorded_at": event.recorded_at,
        "data": data,
        "metadata": event.metadata,
    })
}
