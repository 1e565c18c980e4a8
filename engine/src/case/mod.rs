//! Cases: the events of a case's stream ([`event`]), the state they fold into
//! ([`state`]), and the pure decisions that produce them ([`decide`]), with
//! values parsed by field type ([`value`]) and guards evaluated with CEL
//! ([`guard`]).
//!
//! This is the engine's first slice of case handling: opening a case, taking a
//! transition, completing a task, correcting data, moving to a newer version.
//! Deadlines are scheduled when a state is entered; [`Case::next_wake`] says
//! when the system next acts on a case, and [`on_timer`] what it does then.

pub mod decide;
pub mod event;
pub mod guard;
pub mod privacy;
pub mod state;
pub mod value;

pub use decide::{
    Context, Migration, RawInput, Values, availability, complete_task, correct, migrate,
    migration_target, on_timer, open, take, tasks,
};
pub use event::{CaseEvent, ScheduledDeadline};
pub use state::Case;
pub use value::RawValue;
