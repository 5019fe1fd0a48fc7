//! The connection to Temporal: address, namespace, TLS and API key, from
//! the command line (`args`) into the SDK's options.

use anyhow::Context as _;
use temporalio_client::{ClientTlsOptions, ConnectionOptions, TlsOptions, Url};

use crate::args::{Args, read_key_file};

/// The Temporal API key: `--temporal-api-key-file`, else `TEMPORAL_API_KEY`.
fn temporal_api_key(args: &Args) -> anyhow::Result<Option<String>> {
    if let Some(path) = &args.temporal_api_key_file {
        return read_key_file(path).map(Some);
    }
    Ok(std::env::var("TEMPORAL_API_KEY")
        .ok()
        .map(|key| key.trim().to_string())
        .filter(|key| !key.is_empty()))
}

/// Whether to use TLS: asked for, or implied by a TLS file or an API key.
fn wants_tls(args: &Args, api_key: bool) -> bool {
    args.tls || args.tls_ca.is_some() || args.tls_cert.is_some() || args.tls_server_name.is_some() || api_key
}

/// `host:port` or a URL, as a URL the SDK takes.
pub(crate) fn target_url(address: &str, tls: bool) -> anyhow::Result<Url> {
    let text = if address.contains("://") {
        address.to_string()
    } else {
        format!("{}://{address}", if tls { "https" } else { "http" })
    };
    Url::parse(&text).with_context(|| format!("--address {address:?} is not host:port or a URL"))
}

/// The SDK's connection options for `args`.
pub(crate) fn options(args: &Args) -> anyhow::Result<ConnectionOptions> {
    let api_key = temporal_api_key(args)?;
    let tls = wants_tls(args, api_key.is_some());
    let read =
        |path: &std::path::Path| std::fs::read(path).with_context(|| format!("reading {}", path.display()));
    let tls_options = if tls {
        let client = match (&args.tls_cert, &args.tls_key) {
            (Some(cert), Some(key)) => Some(
                ClientTlsOptions::builder()
                    .client_cert(read(cert)?)
                    .client_private_key(read(key)?)
                    .build(),
            ),
            _ => None,
        };
        Some(
            TlsOptions::builder()
                .maybe_server_root_ca_cert(args.tls_ca.as_deref().map(read).transpose()?)
                .maybe_domain(args.tls_server_name.clone())
                .maybe_client_tls_options(client)
                .build(),
        )
    } else {
        None
    };
    Ok(ConnectionOptions::new(target_url(&args.address, tls)?)
        .identity(format!("matchkraft-temporal@{}", std::process::id()))
        .maybe_tls_options(tls_options)
        .maybe_api_key(api_key)
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_becomes_a_url() {
        assert_eq!(
            target_url("127.0.0.1:7233", false).unwrap().as_str(),
            "http://127.0.0.1:7233/"
        );
        assert_eq!(
            target_url("ns.tmprl.cloud:7233", true).unwrap().as_str(),
            "https://ns.tmprl.cloud:7233/"
        );
        assert_eq!(target_url("https://h:1", false).unwrap().as_str(), "https://h:1/");
        assert!(target_url("not an address", false).is_err());
    }
}
