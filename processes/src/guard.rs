//! Checking CEL guards and task conditions against the definition they live in.
//!
//! A guard is compiled with the `cel` crate and its syntax tree walked: every
//! name it reads must be one the engine will provide (`case`, `input`, `tasks`,
//! `actor`, `now`, `state`), every `case.X` a declared field that is not personal
//! data, every `input.X` an input of that transition, and the whole expression
//! must be able to yield true or false. CEL is dynamically typed, so "boolean"
//! is checked where the tree makes it knowable (a comparison, a boolean field, a
//! number where a condition was expected), and left alone where it is not.

use std::collections::HashSet;
use std::ops::Range;

use cel::common::ast::{Expr, IdedExpr, LiteralValue, operators};
use kroonika_engine::definition::{Field, FieldType, Input, InputSource};

use crate::diagnostic::{Code, Diagnostic};
use crate::suggest::did_you_mean;

/// What an expression may read.
pub(crate) struct Scope<'a> {
    pub fields: &'a [Field],
    /// The transition's inputs; None where `input` is not available (task conditions).
    pub inputs: Option<&'a [Input]>,
    /// Whether `tasks` is available (guards: yes; task conditions: no).
    pub tasks: bool,
    /// "guard" or "condition", for messages.
    pub what: &'a str,
    /// The task ids of the state a guard is in, to check `'id' in tasks.done`;
    /// None where that is not known (`anywhere` transitions).
    pub task_ids: Option<&'a [String]>,
}

const MEMBERS_OF_TASKS: [&str; 2] = ["complete", "done"];
const MEMBERS_OF_ACTOR: [&str; 2] = ["name", "roles"];
const MEMBERS_OF_STATE: [&str; 2] = ["name", "entered_at"];

impl Scope<'_> {
    fn variables(&self) -> Vec<&'static str> {
        let mut names = vec!["case"];
        if self.inputs.is_some() {
            names.push("input");
        }
        if self.tasks {
            names.push("tasks");
        }
        names.extend(["actor", "people", "now", "today", "state"]);
        names
    }
}

/// Checks one expression; returns its diagnostics (empty when it is fine).
pub(crate) fn check(text: &str, span: Range<usize>, scope: &Scope<'_>) -> Vec<Diagnostic> {
    let program = match cel::Program::compile(text) {
        Ok(program) => program,
        Err(errors) => {
            let message = errors
                .errors
                .first()
                .map_or_else(|| errors.to_string(), |e| e.msg.clone());
            return vec![
                Diagnostic::error(
                    Code::GuardSyntax,
                    span,
                    format!(
                        "this {} is not a valid CEL expression: {message}",
                        scope.what
                    ),
                )
                .with_help(
                    "conditions look like `case.minor_involved && size(input.facilitators) >= 2`",
                ),
            ];
        }
    };
    let mut walker = Walker {
        scope,
        span,
        bound: HashSet::new(),
        diagnostics: Vec::new(),
    };
    walker.walk(program.expression());
    if walker.diagnostics.is_empty() && walker.is_boolean(program.expression()) == Some(false) {
        walker.diagnostics.push(
            Diagnostic::error(
                Code::GuardNotBoolean,
                walker.span.clone(),
                format!("this {} does not give true or false", scope.what),
            )
            .with_help("compare it with something, e.g. `case.participants >= 2`"),
        );
    }
    walker.diagnostics
}

struct Walker<'a> {
    scope: &'a Scope<'a>,
    span: Range<usize>,
    /// Comprehension variables in scope (`x` in `list.all(x, x > 0)`).
    bound: HashSet<String>,
    diagnostics: Vec<Diagnostic>,
}

impl Walker<'_> {
    fn walk(&mut self, expr: &IdedExpr) {
        match &expr.expr {
            Expr::Ident(name) => self.ident(name),
            Expr::Select(select) => {
                if let Expr::Ident(root) = &select.operand.expr
                    && !self.bound.contains(root)
                {
                    self.member(root, &select.field);
                } else {
                    self.walk(&select.operand);
                }
            }
            Expr::Call(call) => {
                self.task_reference(call);
                if let Some(target) = &call.target {
                    self.walk(target);
                }
                for arg in &call.args {
                    self.walk(arg);
                }
            }
            Expr::Comprehension(comprehension) => {
                self.walk(&comprehension.iter_range);
                let mut added = vec![
                    comprehension.iter_var.clone(),
                    comprehension.accu_var.clone(),
                ];
                added.extend(comprehension.iter_var2.clone());
                let fresh: Vec<String> = added
                    .into_iter()
                    .filter(|v| self.bound.insert(v.clone()))
                    .collect();
                self.walk(&comprehension.accu_init);
                self.walk(&comprehension.loop_cond);
                self.walk(&comprehension.loop_step);
                self.walk(&comprehension.result);
                for v in fresh {
                    self.bound.remove(&v);
                }
            }
            Expr::List(list) => list.elements.iter().for_each(|e| self.walk(e)),
            Expr::Map(map) => {
                for entry in &map.entries {
                    if let cel::common::ast::EntryExpr::MapEntry(entry) = &entry.expr {
                        self.walk(&entry.key);
                        self.walk(&entry.value);
                    }
                }
            }
            Expr::Struct(_) | Expr::Literal(_) | Expr::Unspecified => {}
        }
    }

    /// `'victim-consent' in tasks.done`: the id must be one of the state's tasks.
    fn task_reference(&mut self, call: &cel::common::ast::CallExpr) {
        let (Some(task_ids), [needle, haystack]) = (self.scope.task_ids, call.args.as_slice())
        else {
            return;
        };
        let reads_done = matches!(&haystack.expr, Expr::Select(s)
            if s.field == "done" && matches!(&s.operand.expr, Expr::Ident(root) if root == "tasks"));
        if call.func_name != operators::IN || !reads_done {
            return;
        }
        if let Expr::Literal(LiteralValue::String(id)) = &needle.expr
            && !task_ids.iter().any(|t| t == id.inner())
        {
            let id = id.inner();
            let mut diagnostic = Diagnostic::error(
                Code::UnknownTask,
                self.span.clone(),
                format!(
                    "this {} asks whether task '{id}' is done, but the state has no such task",
                    self.scope.what
                ),
            );
            diagnostic = match did_you_mean(id, task_ids.iter().map(String::as_str)) {
                Some(help) => diagnostic.with_help(help),
                None if task_ids.is_empty() => diagnostic.with_help("this state has no tasks"),
                None => diagnostic.with_help(format!("its tasks are: {}", task_ids.join(", "))),
            };
            self.diagnostics.push(diagnostic);
        }
    }

    fn ident(&mut self, name: &str) {
        if self.bound.contains(name) || self.scope.variables().contains(&name) {
            return;
        }
        let known = self.scope.variables();
        let mut diagnostic = Diagnostic::error(
            Code::GuardUnknownVariable,
            self.span.clone(),
            format!(
                "this {} reads '{name}', which is not available; it can read {}",
                self.scope.what,
                known.join(", ")
            ),
        );
        let is_input = self
            .scope
            .inputs
            .is_some_and(|inputs| inputs.iter().any(|i| i.name == name));
        if is_input {
            diagnostic =
                diagnostic.with_help(format!("this step's inputs are read as `input.{name}`"));
        } else if let Some(suggestion) = did_you_mean(name, known.iter().copied()) {
            diagnostic = diagnostic.with_help(suggestion);
        } else if self.scope.fields.iter().any(|f| f.name == name) {
            diagnostic = diagnostic.with_help(format!("case fields are read as `case.{name}`"));
        }
        self.diagnostics.push(diagnostic);
    }

    fn member(&mut self, root: &str, member: &str) {
        let span = self.span.clone();
        let unknown = |what: String, known: Vec<&str>| {
            let mut diagnostic = Diagnostic::error(Code::GuardUnknownField, span.clone(), what);
            if let Some(suggestion) = did_you_mean(member, known.iter().copied()) {
                diagnostic = diagnostic.with_help(suggestion);
            }
            diagnostic
        };
        let what = self.scope.what;
        match root {
            "case" => match self.scope.fields.iter().find(|f| f.name == member) {
                None => self.diagnostics.push(unknown(
                    format!("this {what} reads 'case.{member}', but the process has no field '{member}'"),
                    self.scope.fields.iter().map(|f| f.name.as_str()).collect(),
                )),
                Some(field) if field.personal.is_some() => self.diagnostics.push(
                    Diagnostic::error(
                        Code::GuardPersonalField,
                        span,
                        format!(
                            "this {what} reads 'case.{member}', which is personal data of '{}'; conditions cannot read personal data",
                            field.personal.as_deref().unwrap_or_default()
                        ),
                    )
                    .with_help("decide on a non-personal field instead (for example a boolean recorded at intake)"),
                ),
                Some(_) => {}
            },
            "input" => {
                let Some(inputs) = self.scope.inputs else {
                    self.ident("input");
                    return;
                };
                if !inputs.iter().any(|i| i.name == member) {
                    self.diagnostics.push(unknown(
                        format!("this {what} reads 'input.{member}', but the transition takes no input '{member}'"),
                        inputs.iter().map(|i| i.name.as_str()).collect(),
                    ));
                }
            }
            "tasks" if self.scope.tasks => {
                if !MEMBERS_OF_TASKS.contains(&member) {
                    self.diagnostics.push(unknown(
                        format!("this {what} reads 'tasks.{member}'; tasks offers 'complete' (all required tasks done) and 'done' (the ids of done tasks)"),
                        MEMBERS_OF_TASKS.to_vec(),
                    ));
                }
            }
            "actor" => {
                if !MEMBERS_OF_ACTOR.contains(&member) {
                    self.diagnostics.push(unknown(
                        format!("this {what} reads 'actor.{member}'; actor offers 'name' and 'roles'"),
                        MEMBERS_OF_ACTOR.to_vec(),
                    ));
                }
            }
            "state" => {
                if !MEMBERS_OF_STATE.contains(&member) {
                    self.diagnostics.push(unknown(
                        format!("this {what} reads 'state.{member}'; state offers 'name' and 'entered_at'"),
                        MEMBERS_OF_STATE.to_vec(),
                    ));
                }
            }
            other => self.ident(other),
        }
    }

    /// Whether the expression yields a boolean: Some(true) yes, Some(false) no,
    /// None when CEL's dynamic typing leaves it unknowable here.
    fn is_boolean(&self, expr: &IdedExpr) -> Option<bool> {
        match &expr.expr {
            Expr::Literal(LiteralValue::Boolean(_)) => Some(true),
            Expr::Literal(_) | Expr::List(_) | Expr::Map(_) => Some(false),
            Expr::Call(call) => match call.func_name.as_str() {
                operators::LOGICAL_AND
                | operators::LOGICAL_OR
                | operators::LOGICAL_NOT
                | operators::EQUALS
                | operators::NOT_EQUALS
                | operators::LESS
                | operators::LESS_EQUALS
                | operators::GREATER
                | operators::GREATER_EQUALS
                | operators::IN
                | operators::NOT_STRICTLY_FALSE
                | "startsWith"
                | "endsWith"
                | "contains"
                | "matches" => Some(true),
                operators::ADD
                | operators::SUBSTRACT
                | operators::MULTIPLY
                | operators::DIVIDE
                | operators::MODULO
                | operators::NEGATE
                | "size" => Some(false),
                _ => None,
            },
            Expr::Select(select) if select.test => Some(true),
            Expr::Select(select) => match (&select.operand.expr, select.field.as_str()) {
                (Expr::Ident(root), "complete") if root == "tasks" => Some(true),
                (Expr::Ident(root), member) if root == "case" => self
                    .scope
                    .fields
                    .iter()
                    .find(|f| f.name == member)
                    .map(|f| matches!(f.ty, FieldType::Boolean)),
                (Expr::Ident(root), member) if root == "input" => self
                    .scope
                    .inputs
                    .and_then(|inputs| inputs.iter().find(|i| i.name == member))
                    .and_then(|input| match &input.source {
                        InputSource::Local { ty } => Some(matches!(ty, FieldType::Boolean)),
                        InputSource::CaseField => self
                            .scope
                            .fields
                            .iter()
                            .find(|f| f.name == member)
                            .map(|f| matches!(f.ty, FieldType::Boolean)),
                    }),
                _ => None,
            },
            Expr::Comprehension(_) | Expr::Ident(_) | Expr::Struct(_) | Expr::Unspecified => None,
        }
    }
}
