//! "What would this draft do to the cases we have?": every recorded case of
//! the draft's process (open and closed) decided again with the draft as if
//! it had been in force ([`kroonika_engine::whatif`]). Read-only: nothing is
//! written, and sealed personal values stay sealed. For those who may read
//! the process's report (its service owner): the answer names cases by
//! reference and says which step the draft would have refused and why, never
//! a value a case holds.

use kroonika_engine::Code;
use kroonika_engine::conformance::Entry;
use kroonika_engine::whatif::{CaseOutcome, Verdict, WhatIf};
use kroonika_store::ReadFrom;
use serde::Serialize;

use crate::App;
use crate::command::Request;
use crate::error::{Result, reject};
use crate::permissions::Reading;

/// What a draft would have done to every case of its process.
#[derive(Debug, Clone, Serialize)]
pub struct WhatIfReport {
    pub process: String,
    pub cases: usize,
    pub same: usize,
    pub diverges: usize,
    pub deadlines: usize,
    pub outcomes: Vec<CaseOutcome>,
}

impl App {
    /// Replays every case of `draft`'s process against it. The draft must
    /// check clean (the diagnostics are `kroonika def check`'s).
    pub async fn what_if(&self, request: &Request, draft: &str) -> Result<WhatIfReport> {
        let done = async {
            let checked = kroonika_processes::check(draft);
            let Some(definition) = checked.definition else {
                let first = checked
                    .first_error()
                    .map(|d| d.message.clone())
                    .unwrap_or_default();
                return Err(reject(
                    Code::InvalidDefinition,
                    format!("the draft has errors (`kroonika def check` shows them all); the first: {first}"),
                ));
            };
            self.reader(request, Reading::Report(&definition.id))
                .await?;
            let mut replay = WhatIf::new(&definition);
            let mut scan = self.inner.store.scan(None, ReadFrom::Start, 1_000);
            while let Some(page) = scan.next_page().await? {
                for event in &page {
                    replay.feed(Entry {
                        stream: event.stream.as_str(),
                        revision: event.revision,
                        event_type: &event.event_type,
                        data: event.data.as_str(),
                        metadata: &event.metadata,
                    });
                }
            }
            let outcomes = replay.outcomes();
            let count = |verdict: Verdict| outcomes.iter().filter(|o| o.verdict == verdict).count();
            Ok(WhatIfReport {
                process: definition.id.clone(),
                cases: outcomes.len(),
                same: count(Verdict::Same),
                diverges: count(Verdict::Diverges),
                deadlines: count(Verdict::Deadlines),
                outcomes,
            })
        }
        .await;
        self.recorded(request, None, done).await
    }
}
