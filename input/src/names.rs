//! The column names (CSV headers, JSON keys) each field is found under,
//! compared loosely.

pub(crate) const FIRST_NAME: &[&str] = &["firstname", "first", "givenname", "forename"];
pub(crate) const LAST_NAME: &[&str] = &["lastname", "last", "surname", "familyname"];
pub(crate) const WEBSITE: &[&str] = &[
    "website",
    "url",
    "site",
    "domain",
    "websiteurl",
    "companywebsite",
    "homepage",
];
pub(crate) const EMAIL: &[&str] = &["email", "emailaddress", "mail", "address", "emails"];
pub(crate) const URL: &[&str] = &[
    "website",
    "url",
    "site",
    "domain",
    "companywebsite",
    "homepage",
    "websiteurl",
    "domainname",
    "websites",
    "urls",
    "domains",
];

use crate::records::JobType;

/// The names of the one column of a domain scan or an email validation.
pub(crate) fn single_column_names(job_type: JobType) -> &'static [&'static str] {
    match job_type {
        JobType::EmailValidation => EMAIL,
        _ => URL,
    }
}

/// A column name compared loosely: lower case, without spaces, `_`, `-`, `.`.
pub(crate) fn normalize(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-' | '.' | '\t'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// `firstName` for `firstname`: how the documentation spells a column.
pub(crate) fn camel(normalized: &str) -> &str {
    match normalized {
        "firstname" => "firstName",
        "lastname" => "lastName",
        other => other,
    }
}

/// What one record of `job_type` is, for messages.
pub(crate) fn what_a_record_is(job_type: JobType) -> &'static str {
    match job_type {
        JobType::DomainScan => "website URLs",
        JobType::EmailValidation => "email addresses",
        JobType::EmailFinder => "contacts (First,Last,https://site)",
    }
}
