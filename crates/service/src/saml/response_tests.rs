//! The checks against responses pysaml2 signed (`fixtures/`), and against
//! the forms of attack on SAML consumers: wrapping, comments splitting a
//! `NameID`, DTDs, other encodings, weak algorithms, stray signatures,
//! unsolicited and stale responses, other audiences.

use super::*;

const BOTH: &str = include_str!("fixtures/both.xml");
const ASSERTION_ONLY: &str = include_str!("fixtures/assertion.xml");
const RESPONSE_ONLY: &str = include_str!("fixtures/response.xml");
const ACS: &str = "http://registry.test/orgs/acme/saml/consume";
const ENTITY: &str = "http://registry.test/orgs/acme";
const IDP: &str = "http://idp.test/metadata";
const REQUEST: &str = "_0123456789abcdef0123456789abcdef";

fn at(time: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(time)
        .unwrap()
        .with_timezone(&Utc)
}

fn expected() -> Expected<'static> {
    Expected {
        acs: ACS,
        audience: ENTITY,
        issuer: IDP,
        now: at("2026-12-01T12:01:00Z"),
    }
}

fn checked(xml: &str) -> Result<Checked, Refused> {
    check(xml.as_bytes(), &expected())
}

fn refused(xml: &str, because: &str) {
    match checked(xml) {
        Ok(c) => panic!("accepted ({because}): {c:?}"),
        Err(Refused(why)) => assert!(
            why.to_lowercase().contains(because),
            "refused for `{why}`, not `{because}`"
        ),
    }
}

fn ids(xml: &str) -> (String, String) {
    let doc = roxmltree::Document::parse(xml).unwrap();
    let response = doc.root_element();
    let assertion = response
        .children()
        .find(|n| n.tag_name().name() == "Assertion")
        .unwrap();
    (
        response.attribute("ID").unwrap().to_owned(),
        assertion.attribute("ID").unwrap().to_owned(),
    )
}

#[test]
fn a_signed_response_names_its_subject_its_request_and_what_to_verify() {
    for (xml, signs_response, signs_assertion) in [
        (BOTH, true, true),
        (ASSERTION_ONLY, false, true),
        (RESPONSE_ONLY, true, false),
    ] {
        let (response, assertion) = ids(xml);
        let c = checked(xml).unwrap();
        assert_eq!(c.name_id, "id-alice");
        assert_eq!(c.in_response_to, REQUEST);
        assert_eq!(c.assertion_id, assertion);
        assert_eq!(c.valid_until, at("2026-12-01T12:08:00Z"));
        assert_eq!(c.session_until, None);
        let mut signed = Vec::new();
        if signs_response {
            signed.push(response);
        }
        if signs_assertion {
            signed.push(assertion);
        }
        assert_eq!(c.signed, signed);
    }
}

#[test]
fn a_response_for_another_service_or_from_another_provider_is_refused() {
    let mut other = expected();
    other.audience = "http://registry.test/orgs/other";
    assert!(
        check(BOTH.as_bytes(), &other)
            .unwrap_err()
            .0
            .contains("audience")
    );
    let mut other = expected();
    other.acs = "http://registry.test/orgs/other/saml/consume";
    assert!(check(BOTH.as_bytes(), &other).is_err());
    let mut other = expected();
    other.issuer = "http://evil.test/metadata";
    assert!(
        check(BOTH.as_bytes(), &other)
            .unwrap_err()
            .0
            .contains("another identity provider")
    );
}

#[test]
fn a_response_is_good_only_while_its_conditions_hold() {
    let mut later = expected();
    later.now = at("2026-12-01T12:09:00Z");
    assert!(check(BOTH.as_bytes(), &later).is_err());
    let mut early = expected();
    early.now = at("2026-12-01T11:50:00Z");
    assert!(check(BOTH.as_bytes(), &early).is_err());
    // Within the allowed skew either side.
    later.now = at("2026-12-01T12:07:00Z");
    assert!(check(BOTH.as_bytes(), &later).is_ok());
    early.now = at("2026-12-01T11:58:00Z");
    assert!(check(BOTH.as_bytes(), &early).is_ok());
}

#[test]
fn an_unsolicited_response_is_refused() {
    let xml = BOTH.replace(&format!("InResponseTo=\"{REQUEST}\""), "");
    refused(&xml, "unsolicited");
}

#[test]
fn responses_answering_two_requests_are_refused() {
    let xml = BOTH.replacen(REQUEST, "_ffffffffffffffffffffffffffffffff", 1);
    refused(&xml, "different requests");
}

#[test]
fn a_second_assertion_anywhere_is_refused() {
    // The wrapping attack: an unsigned assertion of the attacker's beside
    // (or around) the signed one.
    let start = BOTH.find("<ns1:Assertion").unwrap();
    let end = BOTH.find("</ns1:Assertion>").unwrap() + "</ns1:Assertion>".len();
    let evil = BOTH[start..end]
        .replace("id-alice", "id-mallory")
        .replacen("ID=\"id-", "ID=\"evil-", 1)
        .replace("Id=\"Signature2\"", "Id=\"Evil2\"");
    let beside = format!("{}{evil}{}", &BOTH[..start], &BOTH[start..]);
    refused(&beside, "exactly one assertion");
    let status = BOTH.find("<ns0:Status>").unwrap();
    let inside = format!(
        "{}<ns0:Extensions>{}</ns0:Extensions>{evil}{}",
        &BOTH[..status],
        &BOTH[start..end],
        &BOTH[status..start]
    ) + &BOTH[end..];
    refused(&inside, "exactly one assertion");
}

#[test]
fn ids_in_other_namespaces_and_other_responses_are_refused() {
    // xmlsec1 would take `y:ID` for the root's ID, and verify the
    // assertion's signature for a response it never checked.
    let (response, _) = ids(BOTH);
    let stolen = BOTH.replacen(
        &format!("ID=\"{response}\""),
        &format!("xmlns:y=\"urn:y\" y:ID=\"Q\" ID=\"{response}\""),
        1,
    );
    refused(&stolen, "namespace");
    let start = BOTH.find("<ns1:Assertion").unwrap();
    let empty = format!(
        "{}<ns0:Response xmlns:x=\"urn:x\" x:Version=\"2.0\"/>{}",
        &BOTH[..start],
        &BOTH[start..]
    );
    refused(&empty, "another response");
    let foreign = format!(
        "{}<Assertion xmlns=\"urn:other\"/>{}",
        &BOTH[..start],
        &BOTH[start..]
    );
    refused(&foreign, "exactly one assertion");
    let issuer_end = BOTH.find("</ns1:Issuer>").unwrap() + "</ns1:Issuer>".len();
    let two_issuers = format!(
        "{}<ns1:Issuer>http://evil.test/</ns1:Issuer>{}",
        &BOTH[..issuer_end],
        &BOTH[issuer_end..]
    );
    refused(&two_issuers, "another identity provider");
}

#[test]
fn comments_doctypes_and_other_encodings_are_refused() {
    refused(&BOTH.replace("id-alice", "id-al<!---->ice"), "comments");
    refused(
        &BOTH.replace(
            "<?xml version=\"1.0\"?>",
            "<?xml version=\"1.0\"?><!DOCTYPE x>",
        ),
        "dtd",
    );
    refused(
        &BOTH.replace(
            "<?xml version=\"1.0\"?>",
            "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>",
        ),
        "utf-8",
    );
    refused(
        &BOTH.replace("<ns1:Subject>", "<ns1:Subject><?evil x?>"),
        "instructions",
    );
}

#[test]
fn repeated_ids_and_stray_signatures_are_refused() {
    let (response, assertion) = ids(BOTH);
    let xml = BOTH.replacen(
        &format!("ID=\"{assertion}\""),
        &format!("ID=\"{response}\""),
        1,
    );
    refused(&xml, "id");
    let xml = BOTH.replace(
        "<ns1:Subject>",
        "<ns1:Subject><ns2:Signature><ns2:SignedInfo/></ns2:Signature>",
    );
    refused(&xml, "none belongs");
}

#[test]
fn weak_or_unexpected_signature_shapes_are_refused() {
    let sha1 = BOTH.replace(
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
    );
    refused(&sha1, "sha-256");
    let digest = BOTH.replace(
        "http://www.w3.org/2001/04/xmlenc#sha256",
        "http://www.w3.org/2000/09/xmldsig#sha1",
    );
    refused(&digest, "sha-256");
    let (response, _) = ids(BOTH);
    let elsewhere = BOTH.replace(&format!("URI=\"#{response}\""), "URI=\"\"");
    refused(&elsewhere, "reference");
    let transform = BOTH.replacen(
        "<ns2:Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>",
        "<ns2:Transform Algorithm=\"http://www.w3.org/TR/1999/REC-xpath-19991116\"/>",
        1,
    );
    refused(&transform, "transforms");
    let start = ASSERTION_ONLY.find("<ns2:Signature ").unwrap();
    let end = ASSERTION_ONLY.find("</ns2:Signature>").unwrap() + "</ns2:Signature>".len();
    let unsigned = format!("{}{}", &ASSERTION_ONLY[..start], &ASSERTION_ONLY[end..]);
    refused(&unsigned, "signed");
}

#[test]
fn a_transient_or_empty_name_id_links_no_one() {
    let transient = BOTH.replace(
        "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
        "urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
    );
    refused(&transient, "transient");
    refused(&BOTH.replace(">id-alice<", "><"), "nameid");
}

#[test]
fn a_failed_status_says_why() {
    let xml = BOTH.replace(
        "urn:oasis:names:tc:SAML:2.0:status:Success",
        "urn:oasis:names:tc:SAML:2.0:status:Responder",
    );
    refused(&xml, "responder");
}

#[test]
fn the_form_value_is_bounded_base64() {
    let encoded = STANDARD.encode(BOTH);
    let wrapped = encoded
        .as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join("\r\n");
    assert_eq!(decode(&wrapped).unwrap(), BOTH.as_bytes());
    assert!(decode("not base64!").is_err());
    assert!(decode(&"A".repeat(MAX_RESPONSE * 2)).is_err());
    assert!(decode(&STANDARD.encode([0xff, 0xfe, 0x00])).is_err());
}
