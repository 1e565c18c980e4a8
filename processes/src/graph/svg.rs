//! A definition as an SVG drawing, laid out here so that a browser can show
//! it with nothing installed: states in rows by their distance from the
//! initial state (top to bottom, as a case moves on), in the order the
//! definition lists them within a row; a transition down is a straight arrow,
//! one back up or within a row a curve out to the right, one that stays a
//! loop at its state's right edge. Terminal states have a double border;
//! `anywhere` transitions leave one dashed pseudo-state, "any open state",
//! beside the initial state. Notes (deadlines, checklists) wrap at a readable
//! width. Text is escaped; the drawing holds no script and loads nothing.

use std::collections::{BTreeMap, VecDeque};
use std::fmt::Write;

use kroonika_engine::definition::{ProcessDefinition, State, Transition};

use super::{state_label, state_note, transition_label};

const CHAR: f64 = 7.0;
const LINE: f64 = 15.0;
const PAD: f64 = 10.0;
const NODE_GAP: f64 = 40.0;
const ROW_GAP: f64 = 64.0;
/// Characters a note's line wraps at.
const WRAP: usize = 48;
const MARGIN: f64 = 30.0;

/// A case's place on the drawing: its current state and the states it went
/// through, each marked by colour and by a word (`current`), never by
/// colour alone.
#[derive(Debug, Clone, Default)]
pub struct Marks {
    pub current: Option<String>,
    pub visited: Vec<String>,
    /// The word beside the current state's name ("now", "praegu").
    pub current_word: String,
    /// Draw the definition's own titles in this language (`et`, `en`) and
    /// leave out the technical notes (deadlines, roles, guards): a drawing
    /// for whoever works the case. None: ids and notes, as `def graph` draws.
    pub lang: Option<String>,
    /// With `lang`: what the pseudo-state of the `anywhere` steps is called.
    pub any_state: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mark {
    None,
    Visited,
    Current,
}

struct Node {
    mark: Mark,
    lines: Vec<String>,
    /// Room kept on the right for the labels of loops.
    beside: f64,
    terminal: bool,
    dashed: bool,
    x: f64,
    y: f64,
    w: f64,
    h: f64,
}

/// The definition drawn as a standalone SVG document.
pub fn svg(def: &ProcessDefinition) -> String {
    svg_marked(def, &Marks::default())
}

/// [`svg`] with a case's current state and path marked.
pub fn svg_marked(def: &ProcessDefinition, marks: &Marks) -> String {
    let index: BTreeMap<&str, usize> = def
        .states
        .iter()
        .enumerate()
        .map(|(i, s)| (s.name.as_str(), i))
        .collect();
    let ranks = ranks(def, &index);
    let lang = marks.lang.as_deref();
    let state_text = |state: &State| match lang {
        Some(lang) => def.state_title(&state.name, lang).to_owned(),
        None => state_label(state),
    };
    let step_text = |state: Option<&str>, step: &Transition| match lang {
        Some(lang) => def.step_title(state, &step.name, lang).to_owned(),
        None => transition_label(step),
    };
    let mut nodes: Vec<Node> = def
        .states
        .iter()
        .map(|state| {
            let current = marks.current.as_deref() == Some(state.name.as_str());
            let mut label = state_text(state);
            if current {
                label = format!("▶ {label} ({})", marks.current_word);
            }
            let mut lines = vec![label];
            if let Some(note) = state_note(state).filter(|_| lang.is_none()) {
                lines.extend(note.lines().flat_map(wrap));
            }
            let mut node = node(lines, state.terminal, false);
            node.mark = if current {
                Mark::Current
            } else if marks.visited.contains(&state.name) {
                Mark::Visited
            } else {
                Mark::None
            };
            node
        })
        .collect();
    for (node, state) in nodes.iter_mut().zip(&def.states) {
        let loops: Vec<usize> = state
            .transitions
            .iter()
            .filter(|t| t.to.as_deref().is_none_or(|to| to == state.name))
            .map(|t| step_text(Some(&state.name), t).chars().count())
            .collect();
        if let Some(chars) = loops.iter().max() {
            node.beside = *chars as f64 * 5.5 + 36.0;
            // Tall enough for its loops, one below the other.
            node.h = node.h.max(loops.len() as f64 * 16.0 + 6.0);
        }
    }
    let anywhere = (!def.anywhere.is_empty()).then(|| {
        let name = match lang {
            Some(_) if !marks.any_state.is_empty() => marks.any_state.clone(),
            _ => "any open state".to_owned(),
        };
        nodes.push(node(vec![name], false, true));
        nodes.len() - 1
    });
    // Rows: each rank's states, in the definition's order.
    let rows = ranks.iter().copied().max().unwrap_or(0) + 1;
    let mut row_of: Vec<Vec<usize>> = vec![Vec::new(); rows];
    for (i, rank) in ranks.iter().enumerate() {
        row_of[*rank].push(i);
    }
    if let Some(any) = anywhere {
        row_of[0].push(any);
    }
    let widths: Vec<f64> = row_of
        .iter()
        .map(|row| {
            row.iter()
                .map(|&i| nodes[i].w + nodes[i].beside)
                .sum::<f64>()
                + NODE_GAP * row.len().saturating_sub(1) as f64
        })
        .collect();
    let widest = widths.iter().copied().fold(0.0, f64::max);
    let mut y = MARGIN + 30.0;
    for (row, row_width) in row_of.iter().zip(&widths) {
        let mut x = MARGIN + (widest - row_width) / 2.0;
        let tallest = row.iter().map(|&i| nodes[i].h).fold(0.0, f64::max);
        for &i in row {
            nodes[i].x = x;
            nodes[i].y = y;
            x += nodes[i].w + nodes[i].beside + NODE_GAP;
        }
        y += tallest + ROW_GAP;
    }
    // Room on the right for curves back up and their labels.
    let (width, height) = (widest + 2.0 * MARGIN + 160.0, y - ROW_GAP + MARGIN);

    let title = lang.map_or(def.title.as_str(), |lang| def.title.get(lang));
    let mut out = String::new();
    let _ = writeln!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0} {height:.0}" width="{width:.0}" height="{height:.0}" font-family="sans-serif" font-size="12" role="img" aria-label="{title}">"##,
        title = escape(title)
    );
    out.push_str(
        r##"<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#444"/></marker></defs>
"##,
    );
    let _ = writeln!(
        out,
        r##"<text x="{MARGIN}" y="{:.0}" font-size="15" font-weight="bold">{}</text>"##,
        MARGIN - 8.0,
        escape(title)
    );
    // The start: a dot with an arrow down into the initial state.
    if let Some(&initial) = index.get(def.initial.as_str()) {
        let n = &nodes[initial];
        let (cx, top) = (n.x + n.w / 2.0, n.y);
        let _ = writeln!(
            out,
            r##"<circle cx="{cx:.1}" cy="{:.1}" r="5" fill="#444"/><line x1="{cx:.1}" y1="{:.1}" x2="{cx:.1}" y2="{top:.1}" stroke="#444" marker-end="url(#arrow)"/>"##,
            top - 16.0,
            top - 11.0,
        );
    }
    let mut edges = String::new();
    for (from, state) in def.states.iter().enumerate() {
        let mut loops = 0;
        for transition in &state.transitions {
            let to = transition
                .to
                .as_deref()
                .and_then(|t| index.get(t).copied())
                .unwrap_or(from);
            let stays = (from == to).then(|| {
                loops += 1;
                loops - 1
            });
            edge(
                &mut edges,
                &nodes[from],
                &nodes[to],
                stays,
                &step_text(Some(&state.name), transition),
                false,
            );
        }
    }
    if let Some(any) = anywhere {
        for transition in &def.anywhere {
            if let Some(&to) = transition.to.as_deref().and_then(|t| index.get(t)) {
                edge(
                    &mut edges,
                    &nodes[any],
                    &nodes[to],
                    None,
                    &step_text(None, transition),
                    true,
                );
            }
        }
    }
    out.push_str(&edges);
    for node in &nodes {
        draw(&mut out, node);
    }
    out.push_str("</svg>\n");
    out
}

/// Each state's column: its distance from the initial state; states no
/// transition reaches go after the last column.
fn ranks(def: &ProcessDefinition, index: &BTreeMap<&str, usize>) -> Vec<usize> {
    let mut rank = vec![usize::MAX; def.states.len()];
    let mut queue = VecDeque::new();
    if let Some(&initial) = index.get(def.initial.as_str()) {
        rank[initial] = 0;
        queue.push_back(initial);
    }
    while let Some(at) = queue.pop_front() {
        let targets = def.states[at]
            .transitions
            .iter()
            .filter_map(|t| t.to.as_deref())
            .chain(def.anywhere.iter().filter_map(|t| t.to.as_deref()));
        for target in targets {
            if let Some(&next) = index.get(target)
                && rank[next] == usize::MAX
            {
                rank[next] = rank[at] + 1;
                queue.push_back(next);
            }
        }
    }
    let last = rank
        .iter()
        .copied()
        .filter(|r| *r != usize::MAX)
        .max()
        .unwrap_or(0);
    rank.iter()
        .map(|r| if *r == usize::MAX { last + 1 } else { *r })
        .collect()
}

fn node(lines: Vec<String>, terminal: bool, dashed: bool) -> Node {
    let longest = lines.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    Node {
        mark: Mark::None,
        beside: 0.0,
        w: longest as f64 * CHAR + 2.0 * PAD,
        h: lines.len() as f64 * LINE + 2.0 * PAD - 4.0,
        lines,
        terminal,
        dashed,
        x: 0.0,
        y: 0.0,
    }
}

fn draw(out: &mut String, n: &Node) {
    let dash = if n.dashed {
        r#" stroke-dasharray="5,4""#
    } else {
        ""
    };
    let (fill, stroke, width) = match n.mark {
        Mark::Current => ("#fff3c4", "#0b5cad", 3),
        Mark::Visited => ("#e3edf9", "#445", 1),
        Mark::None if n.terminal => ("#eef3ee", "#445", 1),
        Mark::None => ("#f6f7fb", "#445", 1),
    };
    let _ = writeln!(
        out,
        r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" rx="8" fill="{fill}" stroke="{stroke}" stroke-width="{width}"{dash}/>"##,
        n.x, n.y, n.w, n.h
    );
    if n.terminal {
        let _ = writeln!(
            out,
            r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" rx="6" fill="none" stroke="#445"/>"##,
            n.x + 3.0,
            n.y + 3.0,
            n.w - 6.0,
            n.h - 6.0
        );
    }
    for (k, line) in n.lines.iter().enumerate() {
        let weight = if k == 0 { r#" font-weight="bold""# } else { "" };
        let size = if k == 0 {
            ""
        } else {
            r##" font-size="11" fill="#555""##
        };
        let _ = writeln!(
            out,
            r##"<text x="{:.1}" y="{:.1}"{weight}{size}>{}</text>"##,
            n.x + PAD,
            n.y + PAD + 8.0 + k as f64 * LINE,
            escape(line)
        );
    }
}

/// An arrow; `stays`: the how-many-th loop of a state's transitions that
/// stay (drawn one below the other).
fn edge(out: &mut String, from: &Node, to: &Node, stays: Option<usize>, label: &str, dashed: bool) {
    let dash = if dashed {
        r#" stroke-dasharray="5,4""#
    } else {
        ""
    };
    let label = escape(label);
    if let Some(k) = stays {
        // A loop at the state's right edge, each one lower than the last.
        let y1 = from.y + 6.0 + k as f64 * 16.0;
        let (x, y2) = (from.x + from.w, y1 + 10.0);
        let _ = writeln!(
            out,
            r##"<path d="M{x:.1},{y1:.1} C{:.1},{y1:.1} {:.1},{y2:.1} {x:.1},{y2:.1}" fill="none" stroke="#444"{dash} marker-end="url(#arrow)"/><text x="{:.1}" y="{:.1}" font-size="10" fill="#333">{label}</text>"##,
            x + 30.0,
            x + 30.0,
            x + 26.0,
            (y1 + y2) / 2.0 + 3.0
        );
        return;
    }
    if to.y > from.y + from.h {
        // Down: from the bottom of one to the top of the other.
        let (x1, y1) = (from.x + from.w / 2.0, from.y + from.h);
        let (x2, y2) = (to.x + to.w / 2.0, to.y);
        // The label nearer the target, so that arrows fanning out of one
        // state keep their labels apart.
        let _ = writeln!(
            out,
            r##"<line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}" stroke="#444"{dash} marker-end="url(#arrow)"/><text x="{:.1}" y="{:.1}" font-size="10" fill="#333">{label}</text>"##,
            x1 + (x2 - x1) * 0.62 + 5.0,
            y1 + (y2 - y1) * 0.62 + 3.0
        );
    } else {
        // Back up, or within a row: a curve out to the right of both.
        let (x1, y1) = (from.x + from.w, from.y + from.h / 2.0);
        let (x2, y2) = (to.x + to.w, to.y + to.h / 2.0);
        let out_to = x1.max(x2) + 50.0;
        let _ = writeln!(
            out,
            r##"<path d="M{x1:.1},{y1:.1} C{out_to:.1},{y1:.1} {out_to:.1},{y2:.1} {x2:.1},{y2:.1}" fill="none" stroke="#777"{dash} marker-end="url(#arrow)"/><text x="{:.1}" y="{:.1}" font-size="10" fill="#555">{label}</text>"##,
            out_to - 10.0,
            (y1 + y2) / 2.0
        );
    }
}

/// A note's line cut at spaces into lines of at most [`WRAP`] characters.
fn wrap(line: &str) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in line.split(' ') {
        let last = lines.last_mut().map_or(0, |l| l.chars().count());
        if last > 0 && last + 1 + word.chars().count() > WRAP {
            lines.push(String::new());
        }
        if let Some(current) = lines.last_mut() {
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(word);
        }
    }
    lines
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_state_and_transition_is_drawn_and_text_is_escaped() {
        let source = include_str!("../../../tests/data/definitions/school-conference.yaml")
            .replace(
                "title: Restorative conference (school referral)",
                "title: A <b> & \"c\"",
            );
        let def = crate::check(&source).definition.unwrap();
        let svg = super::svg(&def);
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.contains("A &lt;b&gt; &amp; &quot;c&quot;"));
        assert!(!svg.contains("<b>") && !svg.contains("<script"));
        for state in &def.states {
            assert!(svg.contains(&format!(">{}", state.name)), "{}", state.name);
        }
        let arrows = svg.matches("marker-end").count();
        let transitions: usize = def.states.iter().map(|s| s.transitions.len()).sum();
        // Every transition, every `anywhere` one, and the start.
        assert_eq!(arrows, transitions + def.anywhere.len() + 1);
        assert!(svg.contains("any open state"));
        assert!(svg.trim_end().ends_with("</svg>"));
    }

    #[test]
    fn a_case_place_is_marked_in_words_and_colour() {
        let source = include_str!("../../../tests/data/definitions/school-conference.yaml");
        let def = crate::check(source).definition.unwrap();
        let plain = super::svg(&def);
        assert!(!plain.contains("▶") && !plain.contains("#fff3c4"));
        let marks = super::Marks {
            current: Some("preparation".to_owned()),
            visited: vec!["referred".to_owned(), "preparation".to_owned()],
            current_word: "now".to_owned(),
            ..super::Marks::default()
        };
        let marked = super::svg_marked(&def, &marks);
        assert!(marked.contains("▶ preparation (now)"), "{marked}");
        assert_eq!(marked.matches("#fff3c4").count(), 1, "one current state");
        assert_eq!(marked.matches("#e3edf9").count(), 1, "one state passed");
    }

    #[test]
    fn a_case_drawing_speaks_the_readers_language_without_the_notes() {
        let source = include_str!("../../../processes/mediation.yaml");
        let def = crate::check(source).definition.unwrap();
        let marks = super::Marks {
            current: Some("screening".to_owned()),
            visited: vec!["referred".to_owned()],
            current_word: "praegu".to_owned(),
            lang: Some("et".to_owned()),
            any_state: "igas avatud seisus".to_owned(),
        };
        let drawn = super::svg_marked(&def, &marks);
        for words in [
            "▶ Sobivuse hindamine (praegu)",
            "Suunatud",
            "Alusta sobivuse hindamist",
            "igas avatud seisus",
            "Lepitusmenetlus ja vahendus",
        ] {
            assert!(drawn.contains(words), "'{words}' drawn");
        }
        assert!(
            !drawn.contains("deadline:") && !drawn.contains("start-screening"),
            "no notes, no ids"
        );
    }
}
