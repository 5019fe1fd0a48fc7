//! Input checks that run before any request is made.
//!
//! A paid API should never be sent a job that is bound to fail, and a caller
//! with ten thousand records needs to know *which* record is wrong. Every check
//! names the 0-based record index and the field. The checks are deliberately
//! conservative: they refuse what is certainly wrong (blank, whitespace, no
//! `@`, not http(s)) and leave deliverability to the API.

use crate::error::invalid_input;
use crate::{Contact, Error, Records};

/// Longest job name accepted; the API's label is for people, not payloads.
const MAX_JOB_NAME_CHARS: usize = 200;

/// Checks a whole submission. Returns the first problem found.
pub fn submission(job_name: &str, records: &Records) -> Result<(), Error> {
    job_name_ok(job_name)?;
    let count = match records {
        Records::DomainScan(urls) => {
            for (i, url) in urls.iter().enumerate() {
                website(url).map_err(|m| invalid_input(Some(i), "website", m))?;
            }
            urls.len()
        }
        Records::EmailValidation(emails) => {
            for (i, address) in emails.iter().enumerate() {
                email(address).map_err(|m| invalid_input(Some(i), "email", m))?;
            }
            emails.len()
        }
        Records::EmailFinder(contacts) => {
            for (i, c) in contacts.iter().enumerate() {
                contact(i, c)?;
            }
            contacts.len()
        }
    };
    if count == 0 {
        return Err(invalid_input(
            None,
            "records",
            "no records: a job needs at least one",
        ));
    }
    Ok(())
}

/// A job id goes into a URL path, so it must be a plain token.
pub fn job_id(id: &str) -> Result<(), Error> {
    let ok = !id.is_empty()
        && id.len() <= 128
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(invalid_input(
            None,
            "job-id",
            "a job id is 1 to 128 characters of letters, digits, '-' and '_'",
        ))
    }
}

fn job_name_ok(name: &str) -> Result<(), Error> {
    if name.trim().is_empty() {
        return Err(invalid_input(None, "job-name", "the job name is blank"));
    }
    if name.chars().count() > MAX_JOB_NAME_CHARS {
        return Err(invalid_input(
            None,
            "job-name",
            format!("the job name is longer than {MAX_JOB_NAME_CHARS} characters"),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(invalid_input(
            None,
            "job-name",
            "the job name contains a control character",
        ));
    }
    Ok(())
}

fn contact(index: usize, c: &Contact) -> Result<(), Error> {
    if c.first_name.trim().is_empty() {
        return Err(invalid_input(
            Some(index),
            "first-name",
            "the first name is blank",
        ));
    }
    if c.last_name.trim().is_empty() {
        return Err(invalid_input(Some(index), "last-name", "the last name is blank"));
    }
    website(&c.website).map_err(|m| invalid_input(Some(index), "website", m))
}

/// An email address: one `@`, a non-empty local part, a dotted domain of
/// letters, digits and hyphens, no whitespace, at most 254 characters.
pub fn email(address: &str) -> Result<(), String> {
    if address.is_empty() {
        return Err("the email address is empty".into());
    }
    if address.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("{address:?} contains whitespace"));
    }
    if address.len() > 254 {
        return Err("the email address is longer than 254 characters".into());
    }
    let Some((local, domain)) = address.rsplit_once('@') else {
        return Err(format!("{address:?} has no '@'"));
    };
    if local.is_empty() || local.len() > 64 || local.contains('@') {
        return Err(format!("{address:?} has an invalid part before the '@'"));
    }
    domain_name(domain).map_err(|why| format!("{address:?} has an invalid domain: {why}"))
}

/// A website: an `http://` or `https://` URL with a host name.
pub fn website(url: &str) -> Result<(), String> {
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("{url:?} contains whitespace"));
    }
    let lower = url.to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        &url[8..]
    } else if lower.starts_with("http://") {
        &url[7..]
    } else {
        return Err(format!("{url:?} is not an http:// or https:// URL"));
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err(format!("{url:?} contains a user name"));
    }
    let host = match authority.rsplit_once(':') {
        Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) && !port.is_empty() => host,
        Some(_) => return Err(format!("{url:?} has an invalid port")),
        None => authority,
    };
    domain_name(host).map_err(|why| format!("{url:?} has an invalid host: {why}"))
}

fn domain_name(domain: &str) -> Result<(), &'static str> {
    if domain.is_empty() {
        return Err("it is empty");
    }
    if domain.len() > 253 {
        return Err("it is longer than 253 characters");
    }
    if !domain.contains('.') {
        return Err("it has no dot");
    }
    for label in domain.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err("a label is empty or too long");
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err("a label starts or ends with '-'");
        }
        // Letters here include non-ASCII ones: internationalised domains are the
        // API's to judge, not ours.
        if !label.chars().all(|c| c.is_alphanumeric() || c == '-') {
            return Err("it contains a character that is not a letter, digit or '-'");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index_of(err: Error) -> (Option<u32>, String) {
        match err {
            Error::PermanentInvalidInput(e) => (e.index, e.field),
            other => panic!("expected invalid input, got {other:?}"),
        }
    }

    #[test]
    fn emails() {
        for good in [
            "john@gmail.com",
            "a.b+tag@sub.example.co.uk",
            "x@xn--bcher-kva.de",
            "ü@bücher.de",
        ] {
            assert_eq!(email(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "john",
            "john@",
            "@gmail.com",
            "john@gmail",
            "jo hn@gmail.com",
            "john@-x.com",
            "john@x..com",
            " john@gmail.com",
            "a@b@c.com",
        ] {
            assert!(email(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn websites() {
        for good in [
            "https://example.com",
            "http://example.com/about?x=1",
            "HTTPS://Example.COM:8443/",
        ] {
            assert_eq!(website(good), Ok(()), "{good}");
        }
        for bad in [
            "example.com",
            "ftp://example.com",
            "https://",
            "https://localhost",
            "https://a b.com",
            "https://user@example.com",
            "https://example.com:http",
            "javascript:alert(1)",
        ] {
            assert!(website(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn the_first_bad_record_is_named_by_index_and_field() {
        let records =
            Records::EmailValidation(vec!["ok@example.com".into(), "nope".into(), "also bad".into()]);
        assert_eq!(
            index_of(submission("job", &records).unwrap_err()),
            (Some(1), "email".into())
        );

        let contacts = vec![
            Contact {
                first_name: "Ada".into(),
                last_name: "Lovelace".into(),
                website: "https://example.com".into(),
            },
            Contact {
                first_name: "Alan".into(),
                last_name: " ".into(),
                website: "https://example.com".into(),
            },
        ];
        assert_eq!(
            index_of(submission("job", &Records::EmailFinder(contacts)).unwrap_err()),
            (Some(1), "last-name".into())
        );
        assert_eq!(
            index_of(submission("job", &Records::DomainScan(vec!["example.com".into()])).unwrap_err()),
            (Some(0), "website".into())
        );
    }

    #[test]
    fn empty_lists_and_bad_names_are_refused() {
        assert_eq!(
            index_of(submission("job", &Records::DomainScan(vec![])).unwrap_err()),
            (None, "records".into())
        );
        let one = Records::EmailValidation(vec!["a@b.co".into()]);
        assert_eq!(
            index_of(submission("  ", &one).unwrap_err()),
            (None, "job-name".into())
        );
        assert_eq!(
            index_of(submission("a\nb", &one).unwrap_err()),
            (None, "job-name".into())
        );
        assert!(submission("fine", &one).is_ok());
    }

    #[test]
    fn job_ids_are_path_safe() {
        assert!(job_id("20f70187-b941-4bb0-b10f-599b025fc425").is_ok());
        for bad in ["", "../etc", "a/b", "a?b", "a b", &"x".repeat(129)] {
            assert!(job_id(bad).is_err(), "{bad:?} accepted");
        }
    }
}
