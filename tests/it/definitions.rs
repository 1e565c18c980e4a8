//! The definition checker: bundled processes, the broken corpus, diagrams, and
//! robustness against arbitrary input.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use kroonika_processes::{Code, Severity};

use crate::support::kroonika;

fn yaml_files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

const BUNDLED: [&str; 4] = [
    "../processes/mediation.yaml",
    "../processes/volunteer-onboarding.yaml",
    "../processes/crisis-support.yaml",
    "../processes/outreach-event.yaml",
];

#[test]
fn bundled_and_example_processes_check_clean() {
    let mut files: Vec<PathBuf> = BUNDLED.iter().map(PathBuf::from).collect();
    files.push("data/definitions/school-conference.yaml".into());
    files.push("data/definitions/tiny.yaml".into());
    for path in files {
        let source = std::fs::read_to_string(&path).unwrap();
        let checked = kroonika_processes::check(&source);
        assert!(
            checked.diagnostics.is_empty(),
            "{}: {:#?}",
            path.display(),
            checked.diagnostics
        );
        assert!(checked.definition.is_some());
    }
}

#[tokio::test]
async fn broken_corpus_diagnostics() {
    let mut seen: BTreeSet<Code> = BTreeSet::new();
    let files = yaml_files("data/definitions/broken");
    assert!(files.len() >= 30, "the corpus has {} files", files.len());
    for path in files {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let file = path.to_string_lossy().into_owned();
        let source = std::fs::read_to_string(&path).unwrap();
        let checked = kroonika_processes::check(&source);
        assert!(!checked.diagnostics.is_empty(), "{name} checks clean");
        seen.extend(checked.diagnostics.iter().map(|d| d.code));
        let has_errors = checked
            .diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error);

        let (code, human, err) = kroonika(&["def", "check", &file]).await;
        assert_eq!(code, if has_errors { 1 } else { 0 }, "{name}: {err}");
        insta::assert_snapshot!(format!("def_check_{name}"), human);
        let (_, json, _) = kroonika(&["def", "check", "--format", "json", &file]).await;
        insta::assert_snapshot!(format!("def_check_{name}_json"), json);
    }
    let missing: Vec<&str> = Code::ALL
        .iter()
        .filter(|c| !seen.contains(c))
        .map(|c| c.as_str())
        .collect();
    assert!(
        missing.is_empty(),
        "codes without an example in the corpus: {missing:?}"
    );
}

#[tokio::test]
async fn check_summarises_and_exits_by_severity() {
    let (code, out, err) = kroonika(&["def", "check", BUNDLED[0], BUNDLED[1]]).await;
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(
        out,
        "../processes/mediation.yaml: ok\n../processes/volunteer-onboarding.yaml: ok\n"
    );
    let warning_only = "data/definitions/broken/40-missing-outcome.yaml";
    let (code, out, _) = kroonika(&["def", "check", warning_only]).await;
    assert_eq!(code, 0, "warnings alone exit 0");
    assert!(out.ends_with(": ok, 1 warning\n"), "{out}");
    let (code, _, err) = kroonika(&[
        "def",
        "check",
        "data/definitions/broken/41-many-problems-at-once.yaml",
    ])
    .await;
    assert_eq!(code, 1);
    assert_eq!(err, "error: 5 errors in 1 file(s)\n");
    let (code, _, err) = kroonika(&["def", "check", "data/definitions/no-such-file.yaml"]).await;
    assert_eq!(code, 1);
    assert!(
        err.starts_with("error: cannot read data/definitions/no-such-file.yaml: "),
        "{err}"
    );

    let dir = tempfile::tempdir().unwrap();
    let binary = dir.path().join("binary.yaml");
    std::fs::write(&binary, [0x70, 0x72, 0xff, 0xfe, 0x00, 0x01]).unwrap();
    let (code, out, _) = kroonika(&["def", "check", binary.to_str().unwrap()]).await;
    assert_eq!(code, 1);
    assert!(
        out.contains("the file is not UTF-8 text (byte 2 is not valid)"),
        "{out}"
    );
}

#[tokio::test]
async fn diagrams_of_the_bundled_processes() {
    for path in BUNDLED {
        let name = Path::new(path)
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let (code, mermaid, err) = kroonika(&["def", "graph", path]).await;
        assert_eq!((code, err.as_str()), (0, ""));
        insta::assert_snapshot!(format!("def_graph_{name}_mermaid"), mermaid);
        let (code, dot, _) = kroonika(&["def", "graph", "--format", "dot", path]).await;
        assert_eq!(code, 0);
        assert!(dot.starts_with("digraph ") && dot.ends_with("}\n"), "{dot}");
    }
    let (code, _, err) = kroonika(&[
        "def",
        "graph",
        "data/definitions/broken/13-unknown-state.yaml",
    ])
    .await;
    assert_eq!(code, 1);
    assert!(err.contains("has errors; run `kroonika def check"), "{err}");
}

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Mutates valid definitions at random (deleting, duplicating, swapping lines,
/// inserting bytes and YAML punctuation) and feeds random bytes: the checker and
/// the rendering of its diagnostics must never panic and must always finish.
#[test]
fn mutations_and_random_bytes_never_panic() {
    let sources: Vec<String> = BUNDLED
        .iter()
        .chain(
            [
                "data/definitions/tiny.yaml",
                "data/definitions/school-conference.yaml",
            ]
            .iter(),
        )
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    let handler =
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor());
    let punctuation = [
        ":", "- ", "{", "}", "[", "]", "'", "\"", "&a", "*a", "<<: *a", "\t", "\n", "  ", "#", "|",
        ">", "@", "!!str", "ä", "\u{0}",
    ];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for round in 0..1500 {
        let text = if round % 10 == 9 {
            let bytes: Vec<u8> = (0..rng.below(400)).map(|_| rng.next() as u8).collect();
            String::from_utf8_lossy(&bytes).into_owned()
        } else {
            let mut lines: Vec<String> = sources[rng.below(sources.len())]
                .lines()
                .map(str::to_owned)
                .collect();
            for _ in 0..=rng.below(4) {
                let at = rng.below(lines.len());
                match rng.below(5) {
                    0 => {
                        lines.remove(at);
                    }
                    1 => {
                        let line = lines[at].clone();
                        lines.insert(at, line);
                    }
                    2 => {
                        let other = rng.below(lines.len());
                        lines.swap(at, other);
                    }
                    _ => {
                        let line = &mut lines[at];
                        let mut cut = rng.below(line.len() + 1);
                        while !line.is_char_boundary(cut) {
                            cut -= 1;
                        }
                        line.insert_str(cut, punctuation[rng.below(punctuation.len())]);
                    }
                }
                if lines.is_empty() {
                    lines.push(String::new());
                }
            }
            lines.join("\n")
        };
        let started = Instant::now();
        let checked = kroonika_processes::check(&text);
        for diagnostic in &checked.diagnostics {
            let mut rendered = String::new();
            handler
                .render_report(&mut rendered, &diagnostic.report("mutated.yaml", &text))
                .unwrap();
            let _ = diagnostic.to_json("mutated.yaml", &text);
        }
        // Not a benchmark: a guard against the checker hanging on some input.
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "round {round} took {:?}",
            started.elapsed()
        );
    }
}
