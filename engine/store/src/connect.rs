//! Turning a store URL into connect options, and naming a store in messages.
//!
//! `sqlite://PATH` (or `sqlite:PATH`) selects the embedded backend and
//! `postgres://…` (or `postgresql://…`) the shared one. Messages name the store by
//! a location that never includes a password.

use std::path::PathBuf;
use std::str::FromStr;

use sqlx::postgres::PgConnectOptions;
use sqlx::sqlite::SqliteConnectOptions;

use crate::error::{Error, Result};

/// A parsed store URL.
#[derive(Debug)]
pub(crate) enum Target {
    Sqlite {
        options: SqliteConnectOptions,
        path: PathBuf,
    },
    Postgres {
        options: PgConnectOptions,
    },
}

/// Parses `url`, returning the target and a printable location.
pub(crate) fn parse(url: &str) -> Result<(Target, String)> {
    let invalid = |reason: String| Error::InvalidUrl {
        url: redact(url),
        reason,
    };
    if url.starts_with("sqlite:") {
        if url.contains(":memory:") || url.contains("mode=memory") {
            return Err(invalid(
                "an in-memory SQLite database cannot hold a store (every connection would see its own); give a file path"
                    .to_owned(),
            ));
        }
        let options =
            SqliteConnectOptions::from_str(url).map_err(|err| invalid(err.to_string()))?;
        let path = options.get_filename().to_path_buf();
        if path.as_os_str().is_empty() {
            return Err(invalid("no file path after 'sqlite://'".to_owned()));
        }
        let location = path.display().to_string();
        Ok((Target::Sqlite { options, path }, location))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let options = PgConnectOptions::from_str(url).map_err(|err| invalid(err.to_string()))?;
        if let Some(bad) = search_path(url).into_iter().find(|name| !plain_name(name)) {
            return Err(invalid(format!(
                "the schema name '{bad}' in options[search_path] is not a plain name: use letters, digits and '_', starting with a letter, without quotes"
            )));
        }
        let location = redact(url);
        Ok((Target::Postgres { options }, location))
    } else {
        Err(invalid(
            "expected sqlite://PATH (the embedded default) or postgres://USER@HOST:PORT/DATABASE"
                .to_owned(),
        ))
    }
}

/// The schema names of `options[search_path]=…` in a PostgreSQL URL, decoded.
fn search_path(url: &str) -> Vec<String> {
    let Some((_, query)) = url.split_once('?') else {
        return Vec::new();
    };
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .filter(|(key, _)| {
            let key = percent_decoded(key);
            key == "options[search_path]"
        })
        .flat_map(|(_, value)| {
            percent_decoded(value)
                .split(',')
                .map(|name| name.trim().to_owned())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// A schema name PostgreSQL takes as it is written: no quoting to get wrong
/// (a quoted name would be created with its quotes, then not be found).
fn plain_name(name: &str) -> bool {
    name == "$user"
        || name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && name.len() <= 63
}

fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The URL with any password replaced by `***`.
pub(crate) fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact("postgres://kroonika:s3cret@db.example:5432/cases"),
            "postgres://kroonika:***@db.example:5432/cases"
        );
        assert_eq!(
            redact("postgres://postgres@127.0.0.1:5432/test"),
            "postgres://postgres@127.0.0.1:5432/test"
        );
        let err = parse("postgres://u:pw@host:notaport/db").unwrap_err();
        assert!(!err.to_string().contains("pw"), "{err}");
    }

    #[test]
    fn schemes_are_recognised() {
        assert!(matches!(
            parse("sqlite://kroonika.db").unwrap().0,
            Target::Sqlite { .. }
        ));
        assert!(matches!(
            parse("sqlite:data/k.db").unwrap().0,
            Target::Sqlite { .. }
        ));
        assert!(matches!(
            parse("postgres://postgres@127.0.0.1/test").unwrap().0,
            Target::Postgres { .. }
        ));
        assert!(parse("postgres://p@h/test?options[search_path]=kroonika_1").is_ok());
        assert!(parse("postgres://p@h/test?options%5Bsearch_path%5D=k2").is_ok());
        for quoted in [
            "postgres://p@h/test?options[search_path]=\"kroonika\"",
            "postgres://p@h/test?options[search_path]=%22kroonika%22",
            "postgres://p@h/test?options[search_path]='kroonika'",
            "postgres://p@h/test?options[search_path]=my schema",
        ] {
            let err = parse(quoted).unwrap_err();
            assert!(
                err.to_string().contains("not a plain name"),
                "{quoted}: {err}"
            );
        }
        for bad in ["mysql://x", "kroonika.db", "sqlite::memory:", "sqlite://"] {
            assert!(matches!(parse(bad), Err(Error::InvalidUrl { .. })), "{bad}");
        }
    }
}
