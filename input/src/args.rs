//! Records given as command-line arguments: one each; for the email finder
//! `First,Last,https://site` (the website may hold commas of its own).

use crate::error::InputError;
use crate::records::{Contact, JobType, Records};

/// Records from command-line arguments, trimmed.
pub fn from_args(job_type: JobType, args: &[String]) -> Result<Records, InputError> {
    let trimmed = || args.iter().map(|a| a.trim().to_string()).collect();
    match job_type {
        JobType::DomainScan => Ok(Records::DomainScan(trimmed())),
        JobType::EmailValidation => Ok(Records::EmailValidation(trimmed())),
        JobType::EmailFinder => args
            .iter()
            .enumerate()
            .map(|(i, arg)| {
                contact_from_str(arg).map_err(|e| InputError(format!("argument {} ({arg:?}): {e}", i + 1)))
            })
            .collect::<Result<_, _>>()
            .map(Records::EmailFinder),
    }
}

/// `First,Last,https://site` as a contact.
pub(crate) fn contact_from_str(text: &str) -> Result<Contact, String> {
    let parts: Vec<&str> = text.splitn(3, ',').map(str::trim).collect();
    match parts[..] {
        [first, last, website] => Ok(Contact {
            first_name: first.to_string(),
            last_name: last.to_string(),
            website: website.to_string(),
        }),
        _ => Err("expected First,Last,https://site".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn args_for_each_type() {
        assert_eq!(
            from_args(JobType::EmailValidation, &args(&[" a@x.com ", "b@y.org"])).unwrap(),
            Records::EmailValidation(args(&["a@x.com", "b@y.org"]))
        );
        assert_eq!(
            from_args(JobType::DomainScan, &args(&["https://x.com"])).unwrap(),
            Records::DomainScan(args(&["https://x.com"]))
        );
        assert_eq!(
            from_args(JobType::EmailFinder, &args(&["Ada, Lovelace ,https://x.com/a,b"])).unwrap(),
            Records::EmailFinder(vec![Contact {
                first_name: "Ada".into(),
                last_name: "Lovelace".into(),
                website: "https://x.com/a,b".into(),
            }])
        );
        let error = from_args(
            JobType::EmailFinder,
            &args(&["Ada,Lovelace,https://x.com", "Bob"]),
        )
        .unwrap_err();
        assert_eq!(error.0, "argument 2 (\"Bob\"): expected First,Last,https://site");
    }
}
