//! The result columns of each job type, in one table that every format reads:
//! the terminal table and the CSV file of the `matchkraft` command, and the
//! JSON document ([`crate::json`]) that the command prints and the ledger
//! stores. A new result field is one line here, and appears everywhere.
//!
//! A column says what it is called in each format; a [`Value`] says what kind
//! of value it holds, so each format writes it its own way (`yes` in a table,
//! `true` in CSV and JSON; `-` for a missing value in a table, an empty field
//! in CSV, `null` in JSON).

use crate::types::{
    DomainScanResult, EmailFinderResult, EmailStatus, EmailValidationResult, FoundEmail, JobType,
    ResultRecords,
};

/// One result column, named for each format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Column {
    /// The key in the JSON document: the API's camelCase name.
    pub key: &'static str,
    /// The heading in the terminal table.
    pub title: &'static str,
    /// The CSV header: one name, or several when the value spreads over
    /// several fields (a domain scan's emails: addresses, kinds, verified).
    /// The input columns come first and keep the names `--input` reads.
    pub csv: &'static [&'static str],
    /// Whether the column holds what the job found, which a table highlights.
    pub found: bool,
}

/// One value of one result record, typed so that each format can write it
/// its own way.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value<'a> {
    /// Text, `None` when the API sent none.
    Text(Option<&'a str>),
    /// Yes or no, `None` when the API did not say.
    Flag(Option<bool>),
    /// A number, such as a confidence score.
    Number(Option<f64>),
    /// An email's verdict.
    Status(Option<&'a EmailStatus>),
    /// The addresses a domain scan found.
    Emails(&'a [FoundEmail]),
}

/// One result record as values in the order of its job type's [`columns`],
/// with the record's raw JSON as the API sent it.
#[derive(Clone, Debug, PartialEq)]
pub struct Row<'a> {
    /// One value per column.
    pub values: Vec<Value<'a>>,
    /// The record's raw JSON.
    pub raw: &'a str,
}

/// The columns of `job_type`'s results, in order.
pub fn columns(job_type: JobType) -> Vec<&'static Column> {
    fn of<R>(fields: &'static [Field<R>]) -> Vec<&'static Column> {
        fields.iter().map(|field| &field.column).collect()
    }
    match job_type {
        JobType::EmailValidation => of(EMAIL_VALIDATION),
        JobType::EmailFinder => of(EMAIL_FINDER),
        JobType::DomainScan => of(DOMAIN_SCAN),
    }
}

/// The records as rows of values, in the order of their [`columns`].
pub fn rows(records: &ResultRecords) -> Vec<Row<'_>> {
    fn of<'a, R>(fields: &'static [Field<R>], list: &'a [R], raw: fn(&R) -> &str) -> Vec<Row<'a>> {
        list.iter()
            .map(|record| Row {
                values: fields.iter().map(|field| (field.value)(record)).collect(),
                raw: raw(record),
            })
            .collect()
    }
    match records {
        ResultRecords::EmailValidation(list) => of(EMAIL_VALIDATION, list, |r| &r.raw),
        ResultRecords::EmailFinder(list) => of(EMAIL_FINDER, list, |r| &r.raw),
        ResultRecords::DomainScan(list) => of(DOMAIN_SCAN, list, |r| &r.raw),
    }
}

/// A column and how to read its value from a record of type `R`.
struct Field<R: 'static> {
    column: Column,
    value: for<'a> fn(&'a R) -> Value<'a>,
}

/// A column that is not what the job found (an input or a verdict).
const fn plain(key: &'static str, title: &'static str, csv: &'static [&'static str]) -> Column {
    Column {
        key,
        title,
        csv,
        found: false,
    }
}

/// A column that holds what the job found.
const fn found(key: &'static str, title: &'static str, csv: &'static [&'static str]) -> Column {
    Column {
        key,
        title,
        csv,
        found: true,
    }
}

const EMAIL_VALIDATION: &[Field<EmailValidationResult>] = &[
    Field {
        column: plain("email", "EMAIL", &["email"]),
        value: |r| Value::Text(r.email.as_deref()),
    },
    Field {
        column: plain("status", "STATUS", &["status"]),
        value: |r| Value::Status(r.status.as_ref()),
    },
    Field {
        column: plain("verified", "VERIFIED", &["verified"]),
        value: |r| Value::Flag(r.verified),
    },
    Field {
        column: plain("reason", "REASON", &["reason"]),
        value: |r| Value::Text(r.reason.as_deref()),
    },
];

const EMAIL_FINDER: &[Field<EmailFinderResult>] = &[
    Field {
        column: plain("firstName", "FIRST NAME", &["first_name"]),
        value: |r| Value::Text(r.first_name.as_deref()),
    },
    Field {
        column: plain("lastName", "LAST NAME", &["last_name"]),
        value: |r| Value::Text(r.last_name.as_deref()),
    },
    Field {
        column: plain("website", "WEBSITE", &["website"]),
        value: |r| Value::Text(r.website.as_deref()),
    },
    Field {
        column: found("email", "EMAIL", &["email"]),
        value: |r| Value::Text(r.email.as_deref()),
    },
    Field {
        column: plain("confidence", "CONFIDENCE", &["confidence"]),
        value: |r| Value::Number(r.confidence),
    },
];

const DOMAIN_SCAN: &[Field<DomainScanResult>] = &[
    Field {
        column: plain("website", "WEBSITE", &["website"]),
        value: |r| Value::Text(r.website.as_deref()),
    },
    Field {
        column: plain("domain", "DOMAIN", &["domain"]),
        value: |r| Value::Text(r.domain.as_deref()),
    },
    Field {
        column: found("emails", "EMAILS", &["emails", "email_kinds", "emails_verified"]),
        value: |r| Value::Emails(&r.emails),
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_has_a_value_per_column() {
        let records = [
            ResultRecords::EmailValidation(vec![EmailValidationResult {
                email: Some("a@b.co".into()),
                status: Some(EmailStatus::Valid),
                verified: Some(true),
                reason: None,
                raw: "{}".into(),
            }]),
            ResultRecords::EmailFinder(vec![EmailFinderResult {
                first_name: Some("Ada".into()),
                last_name: None,
                website: None,
                email: None,
                confidence: Some(0.5),
                raw: "{\"x\":1}".into(),
            }]),
            ResultRecords::DomainScan(vec![DomainScanResult {
                website: None,
                domain: Some("b.co".into()),
                emails: Vec::new(),
                raw: "[]".into(),
            }]),
        ];
        for records in &records {
            let columns = columns(records.job_type());
            let rows = rows(records);
            assert_eq!(rows.len(), 1);
            assert_eq!(rows[0].values.len(), columns.len(), "{records:?}");
        }
        let ResultRecords::EmailFinder(list) = &records[1] else {
            unreachable!()
        };
        let row = &rows(&records[1])[0];
        assert_eq!(row.raw, list[0].raw);
        assert_eq!(row.values[0], Value::Text(Some("Ada")));
        assert_eq!(row.values[4], Value::Number(Some(0.5)));
    }

    #[test]
    fn names_are_unique_within_a_job_type() {
        for job_type in JobType::ALL {
            let columns = columns(job_type);
            let mut keys: Vec<&str> = columns.iter().map(|c| c.key).collect();
            let mut csv: Vec<&str> = columns.iter().flat_map(|c| c.csv.iter().copied()).collect();
            let count = (keys.len(), csv.len());
            keys.sort_unstable();
            keys.dedup();
            csv.sort_unstable();
            csv.dedup();
            assert_eq!((keys.len(), csv.len()), count, "{job_type}");
        }
    }
}
