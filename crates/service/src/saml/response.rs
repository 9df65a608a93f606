//! Reading an identity provider's `<samlp:Response>`, without I/O: the
//! shape a signature may cover (the defences against signature wrapping
//! are here, not in the verifier), and what the response must say to sign
//! anyone on. `xmlsec.rs` then checks the signatures this names, on the
//! same bytes; nothing is read from any other node.

use std::collections::HashSet;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, TimeDelta, Utc};
use roxmltree::{Document, Node, ParsingOptions};

/// The most a `SAMLResponse` may hold once decoded.
pub const MAX_RESPONSE: usize = 128 * 1024;
/// Clock skew allowed between the provider and us.
const SKEW: TimeDelta = TimeDelta::seconds(180);

const PROTOCOL: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
const ASSERTION: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
const DSIG: &str = "http://www.w3.org/2000/09/xmldsig#";
const XML: &str = "http://www.w3.org/XML/1998/namespace";
const SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
const BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";
const TRANSIENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient";
const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
/// SHA-2 only: SHA-1 signatures are refused.
const SIGNATURE_METHODS: [&str; 6] = [
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512",
];
const DIGEST_METHODS: [&str; 3] = [
    "http://www.w3.org/2001/04/xmlenc#sha256",
    "http://www.w3.org/2001/04/xmldsig-more#sha384",
    "http://www.w3.org/2001/04/xmlenc#sha512",
];

/// Why a response signs no one on; said to the person at the browser.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

fn refuse<T>(why: impl Into<String>) -> Result<T, Refused> {
    Err(Refused(why.into()))
}

/// What the checks expect of a response.
#[derive(Debug, Clone)]
pub struct Expected<'a> {
    /// Our assertion consumer service URL.
    pub acs: &'a str,
    /// Our entity ID, the audience.
    pub audience: &'a str,
    /// The identity provider's entity ID.
    pub issuer: &'a str,
    pub now: DateTime<Utc>,
}

/// A response that passed every check but its signatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// The person's persistent identifier at the provider.
    pub name_id: String,
    /// The request it answers.
    pub in_response_to: String,
    pub assertion_id: String,
    /// Until when it could be accepted (its replay must be refused).
    pub valid_until: DateTime<Utc>,
    /// The provider's limit on the session, if it set one.
    pub session_until: Option<DateTime<Utc>>,
    /// The IDs of the elements whose enveloped signature must verify.
    pub signed: Vec<String>,
}

/// The XML a form's `SAMLResponse` carries: base64 (line breaks allowed),
/// at most `MAX_RESPONSE` bytes, UTF-8.
pub fn decode(form_value: &str) -> Result<Vec<u8>, Refused> {
    if form_value.len() > MAX_RESPONSE * 4 / 3 + 4096 {
        return refuse("The identity provider's response is too large.");
    }
    let compact: String = form_value
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    let Ok(bytes) = STANDARD.decode(compact) else {
        return refuse("The identity provider's response is not base64.");
    };
    if bytes.len() > MAX_RESPONSE {
        return refuse("The identity provider's response is too large.");
    }
    if std::str::from_utf8(&bytes).is_err() {
        return refuse("The identity provider's response is not UTF-8.");
    }
    Ok(bytes)
}

/// Checks `xml` (from `decode`) against `expected`.
pub fn check(xml: &[u8], expected: &Expected<'_>) -> Result<Checked, Refused> {
    let Ok(text) = std::str::from_utf8(xml) else {
        return refuse("The identity provider's response is not UTF-8.");
    };
    declared_utf8(text)?;
    let options = ParsingOptions {
        allow_dtd: false,
        nodes_limit: 10_000,
        ..ParsingOptions::default()
    };
    if text.contains("<!DOCTYPE") || text.contains("<!ENTITY") {
        return refuse("The identity provider's response declares a DTD.");
    }
    let Ok(doc) = Document::parse_with_options(text, options) else {
        return refuse("The identity provider's response is not well-formed XML.");
    };
    if doc.descendants().any(|n| n.is_comment() || n.is_pi()) {
        return refuse("The identity provider's response holds comments or instructions.");
    }
    unique_ids(&doc)?;
    let response = doc.root_element();
    if !is(response, PROTOCOL, "Response") || response.attribute("Version") != Some("2.0") {
        return refuse("This is not a SAML 2.0 response.");
    }
    let assertion = the_assertion(&doc, response)?;
    let signed = signatures(response, assertion)?;
    check_response(
        response,
        expected,
        !signed.is_empty() && signed[0] == id(response)?,
    )?;
    let mut checked = check_assertion(assertion, expected)?;
    checked.signed = signed;
    if let Some(to) = response.attribute("InResponseTo")
        && to != checked.in_response_to
    {
        return refuse("The response and its assertion answer different requests.");
    }
    Ok(checked)
}

/// Refuses a declaration naming another encoding: libxml2 would read the
/// same bytes otherwise than we did.
fn declared_utf8(text: &str) -> Result<(), Refused> {
    let text = text.trim_start_matches('\u{feff}');
    if let Some(rest) = text.strip_prefix("<?xml")
        && let Some(end) = rest.find("?>")
        && let Some(at) = rest[..end].find("encoding")
    {
        let value = rest[at + "encoding".len()..end]
            .trim_start()
            .trim_start_matches('=')
            .trim_start();
        let value = value.trim_start_matches(['"', '\'']);
        let name: String = value
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        if !name.eq_ignore_ascii_case("utf-8") {
            return refuse("The identity provider's response must be in UTF-8.");
        }
    }
    Ok(())
}

fn is(node: Node<'_, '_>, ns: &str, name: &str) -> bool {
    node.is_element() && node.tag_name().namespace() == Some(ns) && node.tag_name().name() == name
}

fn children<'a, 'i>(
    node: Node<'a, 'i>,
    ns: &'static str,
    name: &'static str,
) -> impl Iterator<Item = Node<'a, 'i>> {
    node.children().filter(move |c| is(*c, ns, name))
}

/// The one child `name` of `node`, if there is exactly one.
fn only<'a, 'i>(node: Node<'a, 'i>, ns: &'static str, name: &'static str) -> Option<Node<'a, 'i>> {
    let mut found = children(node, ns, name);
    let first = found.next()?;
    found.next().is_none().then_some(first)
}

fn id<'a>(node: Node<'a, '_>) -> Result<&'a str, Refused> {
    match node.attribute("ID") {
        Some(id) => Ok(id),
        None => refuse(format!("<{}> has no ID.", node.tag_name().name())),
    }
}

/// Every ID-like attribute is unique and well-formed, so that a reference
/// names one element to us and to the verifier alike.
fn unique_ids(doc: &Document<'_>) -> Result<(), Refused> {
    let mut seen = HashSet::new();
    for node in doc.descendants().filter(Node::is_element) {
        for attr in node.attributes() {
            let id_like = match attr.namespace() {
                Some(XML) => attr.name() == "id",
                // xmlsec1 finds IDs by name whatever their namespace: one
                // in another namespace could take a signed element's.
                Some(_) if attr.name().eq_ignore_ascii_case("id") => {
                    return refuse("The identity provider's response has an ID in a namespace.");
                }
                Some(_) => false,
                None => matches!(attr.name(), "ID" | "Id" | "AssertionID"),
            };
            if !id_like {
                continue;
            }
            let value = attr.value();
            let well_formed = value.len() <= 256
                && value
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && value
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
            if !well_formed || !seen.insert(value) {
                return refuse("The identity provider's response has a bad or repeated ID.");
            }
        }
    }
    Ok(())
}

/// The response's one assertion: exactly one in the whole document, a
/// child of the response, not encrypted.
fn the_assertion<'a, 'i>(
    doc: &'a Document<'i>,
    response: Node<'a, 'i>,
) -> Result<Node<'a, 'i>, Refused> {
    if doc
        .descendants()
        .any(|n| is(n, ASSERTION, "EncryptedAssertion"))
    {
        return refuse("Encrypted assertions are not accepted; turn assertion encryption off.");
    }
    // By local name, whatever the namespace (xmlsec1 registers IDs on
    // `Response` and `Assertion` elements without one too).
    let named = |n: &Node<'_, '_>, name: &str| n.is_element() && n.tag_name().name() == name;
    if doc
        .descendants()
        .any(|n| named(&n, "Response") && n != response)
    {
        return refuse("The identity provider's response holds another response.");
    }
    let all: Vec<_> = doc
        .descendants()
        .filter(|n| named(n, "Assertion"))
        .collect();
    match all.as_slice() {
        [one] if one.parent() == Some(response) && is(*one, ASSERTION, "Assertion") => Ok(*one),
        [] => refuse("The identity provider's response holds no assertion."),
        _ => refuse("The identity provider's response must hold exactly one assertion."),
    }
}

/// The IDs of the signed elements (the response first): signatures only
/// as the direct child of the response or the assertion, one each at
/// most, each over its parent exactly, with the response's ahead of its
/// assertion (where the verifier looks for it first).
fn signatures(response: Node<'_, '_>, assertion: Node<'_, '_>) -> Result<Vec<String>, Refused> {
    let doc_signatures = response
        .descendants()
        .filter(|n| is(*n, DSIG, "Signature"))
        .count();
    let mut signed = Vec::new();
    let mut found = 0;
    for parent in [response, assertion] {
        let mut here = children(parent, DSIG, "Signature");
        let Some(signature) = here.next() else {
            continue;
        };
        if here.next().is_some() {
            return refuse("An element of the response is signed twice.");
        }
        if parent == response
            && signature
                .next_siblings()
                .all(|s| !is(s, ASSERTION, "Assertion"))
        {
            return refuse("The response's signature must come before its assertion.");
        }
        check_signature(signature, id(parent)?)?;
        signed.push(id(parent)?.to_owned());
        found += 1;
    }
    if found != doc_signatures {
        return refuse("The response carries a signature where none belongs.");
    }
    if signed.is_empty() {
        return refuse("Neither the response nor its assertion is signed.");
    }
    Ok(signed)
}

/// One signature covers exactly the element `over`, enveloped, in
/// exclusive canonical form, with SHA-2.
fn check_signature(signature: Node<'_, '_>, over: &str) -> Result<(), Refused> {
    let bad = |what: &str| refuse(format!("The signature's {what} is not accepted."));
    if children(signature, DSIG, "Object").next().is_some() {
        return bad("object");
    }
    let Some(info) = only(signature, DSIG, "SignedInfo") else {
        return bad("SignedInfo");
    };
    if algorithm(only(info, DSIG, "CanonicalizationMethod")) != Some(EXC_C14N) {
        return bad("canonicalization");
    }
    if !algorithm(only(info, DSIG, "SignatureMethod"))
        .is_some_and(|a| SIGNATURE_METHODS.contains(&a))
    {
        return bad("algorithm (SHA-256 or better is needed)");
    }
    let Some(reference) = only(info, DSIG, "Reference") else {
        return bad("reference (exactly one)");
    };
    if reference.attribute("URI") != Some(&format!("#{over}")) {
        return bad("reference");
    }
    if !algorithm(only(reference, DSIG, "DigestMethod"))
        .is_some_and(|a| DIGEST_METHODS.contains(&a))
    {
        return bad("digest (SHA-256 or better is needed)");
    }
    let transforms: Vec<_> = only(reference, DSIG, "Transforms")
        .map(|t| {
            children(t, DSIG, "Transform")
                .filter_map(|t| t.attribute("Algorithm"))
                .collect()
        })
        .unwrap_or_default();
    let allowed = transforms.iter().all(|t| *t == ENVELOPED || *t == EXC_C14N);
    if !allowed || !transforms.contains(&ENVELOPED) || transforms.len() > 2 {
        return bad("transforms");
    }
    Ok(())
}

fn algorithm<'a>(node: Option<Node<'a, '_>>) -> Option<&'a str> {
    node.and_then(|n| n.attribute("Algorithm"))
}

fn text_of<'a>(node: Node<'a, '_>) -> Option<&'a str> {
    let mut kids = node.children();
    let first = kids.next()?;
    if kids.next().is_some() || !first.is_text() {
        return None;
    }
    first.text().map(str::trim).filter(|t| !t.is_empty())
}

fn time(node: Node<'_, '_>, attribute: &str) -> Result<Option<DateTime<Utc>>, Refused> {
    match node.attribute(attribute) {
        None => Ok(None),
        Some(value) => match DateTime::parse_from_rfc3339(value) {
            Ok(t) => Ok(Some(t.with_timezone(&Utc))),
            Err(_) => refuse(format!("The time {attribute}=\"{value}\" is not valid.")),
        },
    }
}

fn check_response(
    response: Node<'_, '_>,
    expected: &Expected<'_>,
    signed: bool,
) -> Result<(), Refused> {
    match response.attribute("Destination") {
        Some(d) if d != expected.acs => {
            return refuse("The response was sent to another address.");
        }
        None if signed => return refuse("The signed response names no destination."),
        _ => {}
    }
    let mut issuers = children(response, ASSERTION, "Issuer");
    let (first, second) = (issuers.next(), issuers.next());
    if second.is_some() || first.is_some_and(|i| text_of(i) != Some(expected.issuer)) {
        return refuse("The response comes from another identity provider.");
    }
    let status = only(response, PROTOCOL, "Status").and_then(|s| only(s, PROTOCOL, "StatusCode"));
    let Some(status) = status else {
        return refuse("The response has no status.");
    };
    if status.attribute("Value") != Some(SUCCESS) {
        let detail = only(status, PROTOCOL, "StatusCode")
            .and_then(|s| s.attribute("Value"))
            .or(status.attribute("Value"))
            .unwrap_or("no status");
        let detail = detail.rsplit(':').next().unwrap_or(detail);
        return refuse(format!(
            "The identity provider did not sign you on ({detail})."
        ));
    }
    Ok(())
}

fn check_assertion(assertion: Node<'_, '_>, expected: &Expected<'_>) -> Result<Checked, Refused> {
    let now = expected.now;
    let issuer = only(assertion, ASSERTION, "Issuer").and_then(text_of);
    if issuer != Some(expected.issuer) {
        return refuse("The assertion comes from another identity provider.");
    }
    let Some(subject) = only(assertion, ASSERTION, "Subject") else {
        return refuse("The assertion names no subject.");
    };
    let Some(name_id) = only(subject, ASSERTION, "NameID") else {
        return refuse("The assertion must carry exactly one NameID (unencrypted).");
    };
    if name_id.attribute("Format") == Some(TRANSIENT) {
        return refuse("A transient NameID cannot link an identity; use a persistent one.");
    }
    let Some(name) = text_of(name_id).filter(|n| n.chars().count() <= 256) else {
        return refuse("The assertion's NameID is empty or too long.");
    };
    let mut in_response_to = None;
    let mut confirmed_until = None;
    let mut why = "The assertion is not confirmed for this service (bearer, recipient).";
    for confirmation in children(subject, ASSERTION, "SubjectConfirmation") {
        if confirmation.attribute("Method") != Some(BEARER) {
            continue;
        }
        let Some(data) = only(confirmation, ASSERTION, "SubjectConfirmationData") else {
            continue;
        };
        if data.attribute("Recipient") != Some(expected.acs) {
            continue;
        }
        let until = time(data, "NotOnOrAfter")?;
        let from = time(data, "NotBefore")?;
        if until.is_none_or(|u| u <= now - SKEW) || from.is_some_and(|f| f > now + SKEW) {
            why = "The assertion has expired or is not valid yet (check the clocks).";
            continue;
        }
        let Some(request) = data.attribute("InResponseTo") else {
            why = "The assertion answers no request: unsolicited responses are not accepted.";
            continue;
        };
        in_response_to = Some(request.to_owned());
        confirmed_until = until;
        break;
    }
    let (Some(in_response_to), Some(confirmed_until)) = (in_response_to, confirmed_until) else {
        return refuse(why);
    };
    let Some(conditions) = only(assertion, ASSERTION, "Conditions") else {
        return refuse("The assertion has no conditions.");
    };
    let from = time(conditions, "NotBefore")?;
    let until = time(conditions, "NotOnOrAfter")?;
    if from.is_some_and(|f| f > now + SKEW) || until.is_some_and(|u| u <= now - SKEW) {
        return refuse("The assertion has expired or is not valid yet (check the clocks).");
    }
    let restrictions: Vec<_> = children(conditions, ASSERTION, "AudienceRestriction").collect();
    let for_us = |r: &Node<'_, '_>| {
        children(*r, ASSERTION, "Audience").any(|a| text_of(a) == Some(expected.audience))
    };
    if restrictions.is_empty() || !restrictions.iter().all(for_us) {
        return refuse(format!(
            "The assertion is meant for another service; its audience must be {}.",
            expected.audience
        ));
    }
    let Some(statement) = only(assertion, ASSERTION, "AuthnStatement") else {
        return refuse("The assertion has no authentication statement.");
    };
    let session_until = time(statement, "SessionNotOnOrAfter")?;
    let valid_until = until.map_or(confirmed_until, |u| u.min(confirmed_until)) + SKEW;
    Ok(Checked {
        name_id: name.to_owned(),
        in_response_to,
        assertion_id: id(assertion)?.to_owned(),
        valid_until,
        session_until,
        signed: Vec::new(),
    })
}

#[cfg(test)]
#[path = "response_tests.rs"]
mod tests;
