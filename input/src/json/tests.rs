//! JSON arrays and documents.

use super::*;

fn contact(first: &str, last: &str, website: &str) -> Contact {
    Contact {
        first_name: first.into(),
        last_name: last.into(),
        website: website.into(),
    }
}

fn read(job_type: JobType, text: &str) -> Records {
    from_json(job_type, text).unwrap().0
}

fn fails(job_type: JobType, text: &str) -> String {
    from_json(job_type, text).unwrap_err().0
}

#[test]
fn json_arrays() {
    assert_eq!(
        read(
            JobType::EmailValidation,
            "  [\"a@x.com\", {\"Email\": \"b@y.org\"}]"
        ),
        Records::EmailValidation(vec!["a@x.com".into(), "b@y.org".into()])
    );
    assert_eq!(
        read(
            JobType::DomainScan,
            "[\"https://x.com\", {\"url\": \"https://y.com\"}]"
        ),
        Records::DomainScan(vec!["https://x.com".into(), "https://y.com".into()])
    );
    assert_eq!(
        read(
            JobType::EmailFinder,
            r#"[{"firstName": "Ada", "lastName": "Lovelace", "website": "https://x.com"},
                {"first_name": "Bob", "last_name": "B", "website": "https://y.com", "x": 1},
                "C,D,https://z.com"]"#
        ),
        Records::EmailFinder(vec![
            contact("Ada", "Lovelace", "https://x.com"),
            contact("Bob", "B", "https://y.com"),
            contact("C", "D", "https://z.com"),
        ])
    );
}

#[test]
fn json_errors_name_the_item() {
    assert_eq!(
        fails(JobType::EmailValidation, "[\"a@x.com\", 3]"),
        "item [1]: expected a string, found a number"
    );
    assert_eq!(
        fails(
            JobType::EmailFinder,
            r#"[{"firstName": "Ada", "website": "https://x.com"}]"#
        ),
        "item [0]: no \"lastName\" field"
    );
    assert_eq!(
        fails(
            JobType::EmailFinder,
            r#"[{"firstName": 1, "lastName": "L", "website": "w"}]"#
        ),
        "item [0]: \"firstName\" must be a string, found a number"
    );
    assert!(fails(JobType::EmailValidation, "[\"a@x.com\",").starts_with("not valid JSON"));
    assert_eq!(
        fails(JobType::EmailValidation, "\"a@x.com\""),
        "expected a JSON array of records, found a string"
    );
}

/// The document `run --json` prints (and `-o x.json` writes) reads back as
/// the records it holds: a domain scan's `website`, not its `domain`.
#[test]
fn a_results_document_reads_back() {
    let scan = r#"{"jobId": "j1", "jobType": "domain-scan", "status": "completed", "results": [
        {"domain": "x.com", "website": "https://x.com", "emails": [], "raw": {}},
        {"website": "https://y.com", "domain": "y.com", "emails": [], "raw": {}}]}"#;
    let (records, places) = from_json(JobType::DomainScan, scan).unwrap();
    assert_eq!(
        records,
        Records::DomainScan(vec!["https://x.com".into(), "https://y.com".into()])
    );
    assert_eq!(places, ["results[0]", "results[1]"]);
    let finder = r#"{"jobType": "email-finder", "results": [{"firstName": "Ada", "lastName": "L",
        "website": "https://x.com", "email": "ada@x.com", "confidence": 90, "raw": {}}]}"#;
    assert_eq!(
        read(JobType::EmailFinder, finder),
        Records::EmailFinder(vec![contact("Ada", "L", "https://x.com")])
    );
    assert_eq!(
        read(JobType::EmailValidation, r#"{"records": ["a@x.com"]}"#),
        Records::EmailValidation(vec!["a@x.com".into()])
    );
    // Another job type's document is not this job's records.
    assert_eq!(
        fails(JobType::EmailValidation, scan),
        "the document is a domain-scan job's, not email-validation: give it to `domain-scan`, \
         or give the email-validation records"
    );
    assert!(fails(JobType::EmailValidation, r#"{"jobId": "j1"}"#).starts_with("expected a JSON array"));
}
