//! What we send an identity provider: the authentication request (the
//! HTTP-Redirect binding: raw DEFLATE, base64, in the query), and the
//! metadata its administrator may load instead of typing our URLs.

use std::io::Write;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, SecondsFormat, Utc};
use flate2::Compression;
use flate2::write::DeflateEncoder;

use crate::{ServiceError, ServiceResult};

const POST_BINDING: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";

/// `text` for an XML attribute or element.
fn escape(text: &str) -> std::borrow::Cow<'_, str> {
    quick_xml::escape::escape(text)
}

/// The unsigned `AuthnRequest` `id` from `entity`, answered at `acs`.
fn authn_request(sso_url: &str, id: &str, entity: &str, acs: &str, now: DateTime<Utc>) -> String {
    format!(
        "<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" \
         xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"{id}\" Version=\"2.0\" \
         IssueInstant=\"{at}\" Destination=\"{dest}\" AssertionConsumerServiceURL=\"{acs}\" \
         ProtocolBinding=\"{POST_BINDING}\"><saml:Issuer>{entity}</saml:Issuer>\
         <samlp:NameIDPolicy AllowCreate=\"true\"/></samlp:AuthnRequest>",
        id = escape(id),
        at = now.to_rfc3339_opts(SecondsFormat::Secs, true),
        dest = escape(sso_url),
        acs = escape(acs),
        entity = escape(entity),
    )
}

/// Where to send the browser: the provider's sign-on URL with the
/// request.
pub(super) fn redirect(
    sso_url: &str,
    id: &str,
    entity: &str,
    acs: &str,
    now: DateTime<Utc>,
) -> ServiceResult<url::Url> {
    let xml = authn_request(sso_url, id, entity, acs, now);
    let mut deflate = DeflateEncoder::new(Vec::new(), Compression::default());
    deflate
        .write_all(xml.as_bytes())
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
    let deflated = deflate
        .finish()
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
    let mut url = url::Url::parse(sso_url)
        .map_err(|e| ServiceError::Invalid(format!("the sign-on URL: {e}")))?;
    url.query_pairs_mut()
        .append_pair("SAMLRequest", &STANDARD.encode(deflated));
    Ok(url)
}

/// Our service provider metadata.
pub(super) fn metadata(entity: &str, acs: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" \
         entityID=\"{entity}\">\n  <md:SPSSODescriptor AuthnRequestsSigned=\"false\" \
         WantAssertionsSigned=\"false\" \
         protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">\n    \
         <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>\n    \
         <md:AssertionConsumerService Binding=\"{POST_BINDING}\" Location=\"{acs}\" \
         index=\"0\" isDefault=\"true\"/>\n  </md:SPSSODescriptor>\n</md:EntityDescriptor>\n",
        entity = escape(entity),
        acs = escape(acs),
    )
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    #[test]
    fn the_request_rides_deflated_in_the_query_and_escapes_what_it_names() {
        let now = DateTime::parse_from_rfc3339("2026-12-03T08:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let url = redirect(
            "https://idp.example/sso?app=1",
            "_abc",
            "http://r.test/orgs/a&b",
            "http://r.test/orgs/a&b/saml/consume",
            now,
        )
        .unwrap();
        let pairs: Vec<_> = url.query_pairs().collect();
        assert_eq!(pairs[0].0, "app");
        assert_eq!(pairs[1].0, "SAMLRequest");
        let raw = STANDARD.decode(pairs[1].1.as_bytes()).unwrap();
        let mut xml = String::new();
        flate2::read::DeflateDecoder::new(&raw[..])
            .read_to_string(&mut xml)
            .unwrap();
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let root = doc.root_element();
        assert_eq!(root.attribute("ID"), Some("_abc"));
        assert_eq!(root.attribute("IssueInstant"), Some("2026-12-03T08:00:00Z"));
        assert_eq!(
            root.attribute("AssertionConsumerServiceURL"),
            Some("http://r.test/orgs/a&b/saml/consume")
        );
        let issuer = root.first_element_child().unwrap();
        assert_eq!(issuer.text(), Some("http://r.test/orgs/a&b"));
    }
}
