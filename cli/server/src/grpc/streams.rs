//! `event_store.client.streams.Streams`: append, batch append, read (and
//! subscribe), delete and tombstone. Each call: authenticate, parse, one call
//! into the application (or a loop of page reads), render.

use std::pin::Pin;

use futures_util::Stream;
use kroonika_app::streams::{AppendOutcome, Filter, FilterOn, ForeignEvent, StreamState, Target};
use kroonika_app::streams::{Direction, ReadFrom};
use kroonika_app::{Request as AppRequest, log::LogQuery};
use kroonika_engine::{ContentType, ExpectedRevision, RecordedEvent};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};

use super::Grpc;
use super::convert::{self, status};
use super::proto::event_store::client::streams::read_req::options::{
    self as read_options, all_options, filter_options, stream_options,
};
use super::proto::event_store::client::streams::streams_server::Streams;
use super::proto::event_store::client::streams::*;
use super::proto::event_store::client::{AllStreamPosition, Empty, WrongExpectedVersion};
use super::proto::google::rpc;

type Stream_<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

/// Events read per page while answering a read.
const PAGE: usize = 500;
/// Responses queued for a slow reader before reading pauses.
const QUEUE: usize = 64;

/// The expectation of an append, delete or tombstone: three messages whose
/// `ExpectedStreamRevision` enums differ only in their Rust type.
macro_rules! expected_revision {
    ($enum:path, $option:expr) => {{
        use $enum as E;
        match $option {
            Some(E::Revision(r)) => ExpectedRevision::Exact(r),
            Some(E::NoStream(_)) => ExpectedRevision::NoStream,
            Some(E::StreamExists(_)) => ExpectedRevision::StreamExists,
            _ => ExpectedRevision::Any,
        }
    }};
}

/// A delete's or tombstone's position option (the same message twice).
macro_rules! position_option {
    ($module:ident, $position:expr) => {
        Some(match $position {
            Some(p) => $module::PositionOption::Position($module::Position {
                commit_position: p,
                prepare_position: p,
            }),
            None => $module::PositionOption::NoPosition(Empty {}),
        })
    };
}

#[tonic::async_trait]
impl Streams for Grpc {
    type ReadStream = Stream_<ReadResp>;
    type BatchAppendStream = Stream_<BatchAppendResp>;

    async fn read(&self, request: Request<ReadReq>) -> Result<Response<Self::ReadStream>, Status> {
        let caller = self.caller(request.metadata(), "grpc read").await?;
        let options = request
            .into_inner()
            .options
            .ok_or_else(|| Status::invalid_argument("the read has no options"))?;
        let backwards = options.read_direction == read_options::ReadDirection::Backwards as i32;
        let structured = matches!(
            options
                .uuid_option
                .as_ref()
                .and_then(|u| u.content.as_ref()),
            Some(read_options::uuid_option::Content::Structured(_))
        );
        let filter = match &options.filter_option {
            Some(read_options::FilterOption::Filter(filter)) => Some(parse_filter(filter)?),
            _ => None,
        };
        let subscribe = matches!(
            options.count_option,
            Some(read_options::CountOption::Subscription(_))
        );
        let count = match options.count_option {
            Some(read_options::CountOption::Count(n)) => n,
            _ => u64::MAX,
        };
        let (tx, rx) = mpsc::channel(QUEUE);
        let out = Out { tx, structured };
        match options.stream_option {
            Some(read_options::StreamOption::Stream(stream)) => {
                let name = convert::stream_name(stream.stream_identifier.as_ref())?;
                let target = Target::parse(&name).map_err(status)?;
                if target == Target::All {
                    return Err(Status::invalid_argument("read $all with the 'all' option"));
                }
                let reader = self
                    .app()
                    .stream_reader(&caller, &target, &self.inner.grants)
                    .await
                    .map_err(status)?;
                if reader.state() == StreamState::Deleted {
                    return Err(convert::stream_deleted(&name));
                }
                let from = match stream.revision_option {
                    Some(stream_options::RevisionOption::Revision(r)) => ReadFrom::At(r),
                    Some(stream_options::RevisionOption::End(_)) => ReadFrom::End,
                    _ if backwards => ReadFrom::End,
                    _ => ReadFrom::Start,
                };
                if subscribe {
                    let permit = self.subscription_permit()?;
                    let after = match from {
                        ReadFrom::At(r) => Some(r),
                        ReadFrom::End => reader.last_revision(),
                        ReadFrom::Start => None,
                    };
                    let mut subscription = reader.subscribe(after).await.map_err(status)?;
                    tokio::spawn(async move {
                        let _permit = permit;
                        if out.confirm().await.is_err() {
                            return;
                        }
                        let mut caught_up = false;
                        loop {
                            let next = match subscription.try_next().await {
                                Ok(Some(event)) => Ok(event),
                                Ok(None) => {
                                    if !caught_up {
                                        caught_up = true;
                                        let revision = subscription.revision().map(|r| r as i64);
                                        if out.caught_up(revision, None).await.is_err() {
                                            return;
                                        }
                                    }
                                    tokio::select! {
                                        next = subscription.next() => next,
                                        _ = out.tx.closed() => return,
                                    }
                                }
                                Err(err) => Err(err),
                            };
                            match next {
                                Ok(event) => {
                                    if out.event(&event).await.is_err() {
                                        return;
                                    }
                                }
                                Err(err) => {
                                    let _ = out.tx.send(Err(status(err))).await;
                                    return;
                                }
                            }
                        }
                    });
                } else {
                    let name = name.clone();
                    tokio::spawn(async move {
                        if reader.state() == StreamState::NotFound {
                            let _ = out
                                .send(read_resp::Content::StreamNotFound(
                                    read_resp::StreamNotFound {
                                        stream_identifier: Some(convert::identifier(&name)),
                                    },
                                ))
                                .await;
                            return;
                        }
                        let direction = if backwards {
                            Direction::Backwards
                        } else {
                            Direction::Forwards
                        };
                        let mut from = from;
                        let mut left = count;
                        while left > 0 {
                            let max = PAGE.min(usize::try_from(left).unwrap_or(PAGE));
                            let page = match reader.page(from, direction, max).await {
                                Ok(page) => page,
                                Err(err) => {
                                    let _ = out.tx.send(Err(status(err))).await;
                                    return;
                                }
                            };
                            let full = page.len() == max;
                            for event in &page {
                                if out.event(event).await.is_err() {
                                    return;
                                }
                            }
                            left -= page.len() as u64;
                            match (page.last(), direction) {
                                (Some(last), Direction::Forwards) if full => {
                                    from = ReadFrom::At(last.revision + 1);
                                }
                                (Some(last), Direction::Backwards) if full && last.revision > 0 => {
                                    from = ReadFrom::At(last.revision - 1);
                                }
                                _ => break,
                            }
                        }
                        let end = if backwards {
                            read_resp::Content::FirstStreamPosition(reader.first_revision())
                        } else {
                            read_resp::Content::LastStreamPosition(
                                reader.last_revision().unwrap_or(0),
                            )
                        };
                        let _ = out.send(end).await;
                    });
                }
            }
            Some(read_options::StreamOption::All(all)) => {
                let position = match all.all_option {
                    Some(all_options::AllOption::Position(p)) => Some(p.commit_position),
                    Some(all_options::AllOption::End(_)) => None,
                    _ if backwards => None,
                    _ => Some(0),
                };
                let window = filter.as_ref().map_or(0, |(_, window)| *window);
                let filter = filter.map(|(filter, _)| filter);
                let app = self.app().clone();
                if subscribe {
                    let permit = self.subscription_permit()?;
                    let after = match position {
                        Some(p) => p,
                        None => app.status().await.map_err(status)?.head,
                    };
                    let mut subscription =
                        app.follow(&caller, after, None).await.map_err(status)?;
                    tokio::spawn(async move {
                        let _permit = permit;
                        if out.confirm().await.is_err() {
                            return;
                        }
                        let mut caught_up = false;
                        let mut examined = 0u64;
                        loop {
                            let next = match subscription.try_next().await {
                                Ok(Some(event)) => Ok(event),
                                Ok(None) => {
                                    let position = subscription.position();
                                    if !caught_up {
                                        caught_up = true;
                                        if out.caught_up(None, Some(position)).await.is_err() {
                                            return;
                                        }
                                    } else if filter.is_some()
                                        && examined > 0
                                        && out.checkpoint(position).await.is_err()
                                    {
                                        return;
                                    }
                                    examined = 0;
                                    tokio::select! {
                                        next = subscription.next() => next,
                                        _ = out.tx.closed() => return,
                                    }
                                }
                                Err(err) => Err(err),
                            };
                            let event = match next {
                                Ok(event) => event,
                                Err(err) => {
                                    let _ = out.tx.send(Err(status(err.into()))).await;
                                    return;
                                }
                            };
                            examined += 1;
                            let pass = filter.as_ref().is_none_or(|f| f.matches(&event));
                            if pass && out.event(&event).await.is_err() {
                                return;
                            }
                            if window > 0 && examined >= window {
                                examined = 0;
                                if out.checkpoint(event.position).await.is_err() {
                                    return;
                                }
                            }
                        }
                    });
                } else {
                    tokio::spawn(async move {
                        // Forwards from a position includes it, backwards
                        // from it reads what came before, as KurrentDB reads.
                        let mut next = match (position, backwards) {
                            (Some(p), false) => Some(p.max(1)),
                            (Some(p), true) if p <= 1 => return,
                            (Some(p), true) => Some(p - 1),
                            (None, _) => None,
                        };
                        let mut left = count;
                        loop {
                            let query = LogQuery {
                                stream: None,
                                category: None,
                                from: next,
                                backwards,
                                limit: PAGE,
                            };
                            let page = match app.read_log(&caller, &query).await {
                                Ok(page) => page,
                                Err(err) => {
                                    let _ = out.tx.send(Err(status(err))).await;
                                    return;
                                }
                            };
                            for event in &page {
                                if filter.as_ref().is_none_or(|f| f.matches(event)) {
                                    if out.event(event).await.is_err() {
                                        return;
                                    }
                                    left -= 1;
                                    if left == 0 {
                                        return;
                                    }
                                }
                            }
                            match page.last() {
                                Some(last) if page.len() == PAGE => {
                                    if backwards && last.position <= 1 {
                                        return;
                                    }
                                    next = Some(if backwards {
                                        last.position - 1
                                    } else {
                                        last.position + 1
                                    });
                                }
                                _ => return,
                            }
                        }
                    });
                }
            }
            None => {
                return Err(Status::invalid_argument(
                    "the read names no stream and not $all",
                ));
            }
        }
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }

    async fn append(
        &self,
        request: Request<Streaming<AppendReq>>,
    ) -> Result<Response<AppendResp>, Status> {
        let caller = self.caller(request.metadata(), "grpc append").await?;
        let mut messages = request.into_inner();
        let first = messages
            .message()
            .await?
            .ok_or_else(|| Status::invalid_argument("the append sent nothing"))?;
        let Some(append_req::Content::Options(options)) = first.content else {
            return Err(Status::invalid_argument(
                "an append starts with its options",
            ));
        };
        let name = convert::stream_name(options.stream_identifier.as_ref())?;
        let target = Target::parse(&name).map_err(status)?;
        let expected = expected_revision!(
            append_req::options::ExpectedStreamRevision,
            options.expected_stream_revision
        );
        let mut events = Vec::new();
        let mut size = 0usize;
        while let Some(message) = messages.message().await? {
            let Some(append_req::Content::ProposedMessage(message)) = message.content else {
                return Err(Status::invalid_argument("options sent twice in one append"));
            };
            size += message.data.len() + message.custom_metadata.len();
            if size > kroonika_app::streams::MAX_APPEND_BYTES {
                return Err(too_large());
            }
            events.push(foreign_event(
                message.id.as_ref(),
                &message.metadata,
                message.data.to_vec(),
                message.custom_metadata.to_vec(),
            )?);
        }
        let outcome = self
            .app()
            .append_foreign(&caller, &target, expected, events, &self.inner.grants)
            .await
            .map_err(status)?;
        use append_resp::{Result as R, success, wrong_expected_version as w};
        let result = match outcome {
            AppendOutcome::Appended { revision, position } => R::Success(append_resp::Success {
                current_revision_option: Some(match revision {
                    Some(r) => success::CurrentRevisionOption::CurrentRevision(r),
                    None => success::CurrentRevisionOption::NoStream(Empty {}),
                }),
                position_option: Some(match position {
                    Some(p) => success::PositionOption::Position(append_resp::Position {
                        commit_position: p,
                        prepare_position: p,
                    }),
                    None => success::PositionOption::NoPosition(Empty {}),
                }),
            }),
            AppendOutcome::WrongExpected { current } => {
                R::WrongExpectedVersion(append_resp::WrongExpectedVersion {
                    current_revision_option_20_6_0: Some(match current {
                        Some(r) => w::CurrentRevisionOption2060::CurrentRevision2060(r),
                        None => w::CurrentRevisionOption2060::NoStream2060(Empty {}),
                    }),
                    expected_revision_option_20_6_0: Some(match expected {
                        ExpectedRevision::Exact(r) => {
                            w::ExpectedRevisionOption2060::ExpectedRevision2060(r)
                        }
                        ExpectedRevision::StreamExists => {
                            w::ExpectedRevisionOption2060::StreamExists2060(Empty {})
                        }
                        _ => w::ExpectedRevisionOption2060::Any2060(Empty {}),
                    }),
                    current_revision_option: Some(match current {
                        Some(r) => w::CurrentRevisionOption::CurrentRevision(r),
                        None => w::CurrentRevisionOption::CurrentNoStream(Empty {}),
                    }),
                    expected_revision_option: Some(match expected {
                        ExpectedRevision::Exact(r) => {
                            w::ExpectedRevisionOption::ExpectedRevision(r)
                        }
                        ExpectedRevision::NoStream => {
                            w::ExpectedRevisionOption::ExpectedNoStream(Empty {})
                        }
                        ExpectedRevision::StreamExists => {
                            w::ExpectedRevisionOption::ExpectedStreamExists(Empty {})
                        }
                        ExpectedRevision::Any => w::ExpectedRevisionOption::ExpectedAny(Empty {}),
                    }),
                })
            }
            AppendOutcome::Deleted => return Err(convert::stream_deleted(&name)),
            AppendOutcome::TooLarge { .. } => return Err(too_large()),
        };
        Ok(Response::new(AppendResp {
            result: Some(result),
        }))
    }

    async fn batch_append(
        &self,
        request: Request<Streaming<BatchAppendReq>>,
    ) -> Result<Response<Self::BatchAppendStream>, Status> {
        let caller = self.caller(request.metadata(), "grpc batch append").await?;
        let mut messages = request.into_inner();
        let (tx, rx) = mpsc::channel(QUEUE);
        let app = self.app().clone();
        let grants = self.inner.grants.clone();
        tokio::spawn(async move {
            // One batch is one or more messages with the same correlation id,
            // the first with options, the last marked final.
            let mut pending: std::collections::HashMap<String, Pending> = Default::default();
            loop {
                let message = match messages.message().await {
                    Ok(Some(message)) => message,
                    Ok(None) => return,
                    Err(err) => {
                        let _ = tx.send(Err(err)).await;
                        return;
                    }
                };
                let correlation = message.correlation_id.clone();
                let key = format!("{correlation:?}");
                let batch = pending.entry(key.clone()).or_default();
                if let Some(options) = message.options {
                    batch.options = Some(options);
                }
                for m in message.proposed_messages {
                    batch.size += m.data.len() + m.custom_metadata.len();
                    batch.messages.push(m);
                }
                if !message.is_final && batch.size <= kroonika_app::streams::MAX_APPEND_BYTES {
                    continue;
                }
                let Some(batch) = pending.remove(&key) else {
                    continue;
                };
                let answer = batch_answer(&app, &caller, &grants, correlation, batch).await;
                if tx.send(answer).await.is_err() {
                    return;
                }
            }
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }

    async fn delete(&self, request: Request<DeleteReq>) -> Result<Response<DeleteResp>, Status> {
        let caller = self.caller(request.metadata(), "grpc delete").await?;
        let options = request
            .into_inner()
            .options
            .ok_or_else(|| Status::invalid_argument("the delete has no options"))?;
        let expected = expected_revision!(
            delete_req::options::ExpectedStreamRevision,
            options.expected_stream_revision
        );
        let name = convert::stream_name(options.stream_identifier.as_ref())?;
        let position = self.delete_(&caller, &name, expected, false).await?;
        Ok(Response::new(DeleteResp {
            position_option: position_option!(delete_resp, position),
        }))
    }

    async fn tombstone(
        &self,
        request: Request<TombstoneReq>,
    ) -> Result<Response<TombstoneResp>, Status> {
        let caller = self.caller(request.metadata(), "grpc tombstone").await?;
        let options = request
            .into_inner()
            .options
            .ok_or_else(|| Status::invalid_argument("the tombstone has no options"))?;
        let expected = expected_revision!(
            tombstone_req::options::ExpectedStreamRevision,
            options.expected_stream_revision
        );
        let name = convert::stream_name(options.stream_identifier.as_ref())?;
        let position = self.delete_(&caller, &name, expected, true).await?;
        Ok(Response::new(TombstoneResp {
            position_option: position_option!(tombstone_resp, position),
        }))
    }
}

impl Grpc {
    async fn delete_(
        &self,
        caller: &AppRequest,
        name: &str,
        expected: ExpectedRevision,
        hard: bool,
    ) -> Result<Option<u64>, Status> {
        let target = Target::parse(name).map_err(status)?;
        let outcome = self
            .app()
            .delete_foreign(caller, &target, expected, hard, &self.inner.grants)
            .await
            .map_err(status)?;
        match outcome {
            AppendOutcome::Appended { position, .. } => Ok(position),
            AppendOutcome::Deleted => Err(convert::stream_deleted(name)),
            AppendOutcome::TooLarge { .. } => Err(too_large()),
            AppendOutcome::WrongExpected { current } => {
                // The wording the Python client reads (KurrentDB's own).
                let number = |r: Option<u64>| r.map_or(-1, |r| r as i64);
                let expected = match expected {
                    ExpectedRevision::Exact(r) => r as i64,
                    ExpectedRevision::NoStream => -1,
                    ExpectedRevision::Any => -2,
                    ExpectedRevision::StreamExists => -4,
                };
                let mut status = Status::failed_precondition(format!(
                    "WrongExpectedVersion. Stream: {name}, Expected version: {expected}, Actual version: {}",
                    number(current)
                ));
                status.metadata_mut().insert(
                    "exception",
                    tonic::metadata::MetadataValue::from_static("wrong-expected-version"),
                );
                Err(status)
            }
        }
    }
}

/// A batch being gathered from its messages.
#[derive(Debug, Default)]
struct Pending {
    options: Option<batch_append_req::Options>,
    messages: Vec<batch_append_req::ProposedMessage>,
    size: usize,
}

/// One batch appended, answered as the protocol says: success, or an error
/// status carrying the detail clients unpack.
async fn batch_answer(
    app: &kroonika_app::App,
    caller: &AppRequest,
    grants: &kroonika_app::streams::Grants,
    correlation: Option<super::proto::event_store::client::Uuid>,
    batch: Pending,
) -> Result<BatchAppendResp, Status> {
    use batch_append_req::options::ExpectedStreamPosition as E;
    use batch_append_resp::{ExpectedStreamPosition as X, Result as R, success};
    let options = batch
        .options
        .ok_or_else(|| Status::invalid_argument("a batch's first message carries its options"))?;
    let name = convert::stream_name(options.stream_identifier.as_ref())?;
    let (expected, echoed) = match options.expected_stream_position {
        Some(E::StreamPosition(r)) => (ExpectedRevision::Exact(r), X::StreamPosition(r)),
        Some(E::NoStream(())) => (ExpectedRevision::NoStream, X::NoStream(())),
        Some(E::StreamExists(())) => (ExpectedRevision::StreamExists, X::StreamExists(())),
        _ => (ExpectedRevision::Any, X::Any(())),
    };
    let answer = |result: R| BatchAppendResp {
        correlation_id: correlation.clone(),
        stream_identifier: Some(convert::identifier(&name)),
        result: Some(result),
        expected_stream_position: Some(echoed),
    };
    let error = |code: tonic::Code, message: String, detail: Option<prost_types::Any>| {
        R::Error(rpc::Status {
            code: code as i32,
            message,
            details: detail,
        })
    };
    let target = match Target::parse(&name) {
        Ok(target) => target,
        Err(err) => return Err(status(err)),
    };
    let mut events = Vec::with_capacity(batch.messages.len());
    for m in batch.messages {
        events.push(foreign_event(
            m.id.as_ref(),
            &m.metadata,
            m.data.to_vec(),
            m.custom_metadata.to_vec(),
        )?);
    }
    let outcome = match app
        .append_foreign(caller, &target, expected, events, grants)
        .await
    {
        Ok(outcome) => outcome,
        Err(err) => {
            let denied = err.code() == Some(kroonika_engine::Code::Denied);
            let status = status(err);
            let detail = denied.then(|| {
                any(
                    "event_store.client.AccessDenied",
                    &super::proto::event_store::client::AccessDenied {},
                )
            });
            return Ok(answer(error(
                status.code(),
                status.message().to_owned(),
                detail,
            )));
        }
    };
    Ok(answer(match outcome {
        AppendOutcome::Appended { revision, position } => R::Success(batch_append_resp::Success {
            current_revision_option: Some(match revision {
                Some(r) => success::CurrentRevisionOption::CurrentRevision(r),
                None => success::CurrentRevisionOption::NoStream(()),
            }),
            position_option: Some(match position {
                Some(p) => success::PositionOption::Position(AllStreamPosition {
                    commit_position: p,
                    prepare_position: p,
                }),
                None => success::PositionOption::NoPosition(()),
            }),
        }),
        AppendOutcome::WrongExpected { current } => {
            use super::proto::event_store::client::wrong_expected_version as w;
            let detail = WrongExpectedVersion {
                current_stream_revision_option: Some(match current {
                    Some(r) => w::CurrentStreamRevisionOption::CurrentStreamRevision(r),
                    None => w::CurrentStreamRevisionOption::CurrentNoStream(()),
                }),
                expected_stream_position_option: Some(match expected {
                    ExpectedRevision::Exact(r) => {
                        w::ExpectedStreamPositionOption::ExpectedStreamPosition(r)
                    }
                    ExpectedRevision::NoStream => {
                        w::ExpectedStreamPositionOption::ExpectedNoStream(())
                    }
                    ExpectedRevision::StreamExists => {
                        w::ExpectedStreamPositionOption::ExpectedStreamExists(())
                    }
                    ExpectedRevision::Any => w::ExpectedStreamPositionOption::ExpectedAny(()),
                }),
            };
            error(
                tonic::Code::FailedPrecondition,
                format!("stream '{name}' is not at the revision expected"),
                Some(any("event_store.client.WrongExpectedVersion", &detail)),
            )
        }
        AppendOutcome::TooLarge { size, max } => {
            let detail = super::proto::event_store::client::MaximumAppendSizeExceeded {
                max_append_size: u32::try_from(max).unwrap_or(u32::MAX),
            };
            error(
                tonic::Code::InvalidArgument,
                format!("the batch carries {size} bytes; the most one append may carry is {max}"),
                Some(any("event_store.client.MaximumAppendSizeExceeded", &detail)),
            )
        }
        AppendOutcome::Deleted => {
            let detail = super::proto::event_store::client::StreamDeleted {
                stream_identifier: Some(convert::identifier(&name)),
            };
            error(
                tonic::Code::FailedPrecondition,
                format!("Event stream '{name}' is deleted."),
                Some(any("event_store.client.StreamDeleted", &detail)),
            )
        }
    }))
}

/// A message packed as `google.protobuf.Any`, as rich statuses carry details.
fn any(name: &str, message: &impl prost::Message) -> prost_types::Any {
    prost_types::Any {
        type_url: format!("type.googleapis.com/{name}"),
        value: message.encode_to_vec(),
    }
}

fn too_large() -> Status {
    Status::invalid_argument(format!(
        "the append carries more than {} bytes, the most one append may carry",
        kroonika_app::streams::MAX_APPEND_BYTES
    ))
}

/// A proposed event as the application takes it: its type and content type
/// come in the message's metadata map.
fn foreign_event(
    id: Option<&super::proto::event_store::client::Uuid>,
    metadata: &std::collections::HashMap<String, String>,
    data: Vec<u8>,
    custom_metadata: Vec<u8>,
) -> Result<ForeignEvent, Status> {
    let id = convert::event_id(id)?;
    let event_type = metadata
        .get("type")
        .cloned()
        .ok_or_else(|| Status::invalid_argument(format!("event {id} has no type")))?;
    let content_type = match metadata.get("content-type").map(String::as_str) {
        None => ContentType::Binary,
        Some(text) => ContentType::parse(text).ok_or_else(|| {
            Status::invalid_argument(format!(
                "event {id} has content type '{text}': use application/json or application/octet-stream"
            ))
        })?,
    };
    Ok(ForeignEvent {
        id,
        event_type,
        content_type,
        data,
        custom_metadata,
    })
}

/// A filter as the protocol sends it, with its checkpoint window in events.
fn parse_filter(filter: &read_options::FilterOptions) -> Result<(Filter, u64), Status> {
    let (on, expression) = match &filter.filter {
        Some(filter_options::Filter::StreamIdentifier(e)) => (FilterOn::StreamName, e),
        Some(filter_options::Filter::EventType(e)) => (FilterOn::EventType, e),
        None => return Err(Status::invalid_argument("the filter names no expression")),
    };
    let parsed = if expression.regex.is_empty() {
        Filter::prefixes(on, expression.prefix.clone())
    } else {
        Filter::regex(on, &expression.regex)
    }
    .map_err(status)?;
    let max = match filter.window {
        Some(filter_options::Window::Max(max)) => u64::from(max),
        _ => 32,
    };
    let window = max.saturating_mul(u64::from(filter.checkpoint_interval_multiplier.max(1)));
    Ok((parsed, window))
}

/// Where a read's responses go.
struct Out {
    tx: mpsc::Sender<Result<ReadResp, Status>>,
    structured: bool,
}

/// The reader went away.
struct Gone;

impl Out {
    async fn send(&self, content: read_resp::Content) -> Result<(), Gone> {
        self.tx
            .send(Ok(ReadResp {
                content: Some(content),
            }))
            .await
            .map_err(|_| Gone)
    }

    async fn event(&self, event: &RecordedEvent) -> Result<(), Gone> {
        self.send(read_resp::Content::Event(convert::read_event(
            event,
            self.structured,
        )))
        .await
    }

    async fn confirm(&self) -> Result<(), Gone> {
        self.send(read_resp::Content::Confirmation(
            read_resp::SubscriptionConfirmation {
                subscription_id: uuid::Uuid::now_v7().to_string(),
            },
        ))
        .await
    }

    async fn caught_up(&self, revision: Option<i64>, position: Option<u64>) -> Result<(), Gone> {
        self.send(read_resp::Content::CaughtUp(read_resp::CaughtUp {
            timestamp: Some(now()),
            stream_revision: revision,
            position: position.map(|p| read_resp::Position {
                commit_position: p,
                prepare_position: p,
            }),
        }))
        .await
    }

    async fn checkpoint(&self, position: u64) -> Result<(), Gone> {
        self.send(read_resp::Content::Checkpoint(read_resp::Checkpoint {
            commit_position: position,
            prepare_position: position,
            timestamp: Some(now()),
        }))
        .await
    }
}

fn now() -> prost_types::Timestamp {
    let now = chrono::Utc::now();
    prost_types::Timestamp {
        seconds: now.timestamp(),
        nanos: now.timestamp_subsec_nanos() as i32,
    }
}
