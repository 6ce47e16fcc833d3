//! CycloneDX documents as written (JSON shape). JSON deserializes straight into these; the XML
//! reader fills the same structs, so checks and conversion to the model exist once.
//!
//! Objects we check field by field are structs here; objects we only carry are [`Opaque`]. Every
//! property the 1.7 schema allows on a struct below must be named, because keys that land nowhere
//! are reported as "unknown property" diagnostics (the schemas set `additionalProperties: false`).

// Fields are declared so that the schema knows them, even when the model does not use them.
#![allow(dead_code)]

use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

/// A value we accept without looking inside. Unlike `IgnoredAny`, skipping it does not count as an
/// unknown property.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Opaque;

impl<'de> Deserialize<'de> for Opaque {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Opaque;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any value")
            }
            fn visit_bool<E>(self, _: bool) -> Result<Opaque, E> {
                Ok(Opaque)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Opaque, E> {
                Ok(Opaque)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Opaque, E> {
                Ok(Opaque)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Opaque, E> {
                Ok(Opaque)
            }
            fn visit_str<E>(self, _: &str) -> Result<Opaque, E> {
                Ok(Opaque)
            }
            fn visit_unit<E>(self) -> Result<Opaque, E> {
                Ok(Opaque)
            }
            fn visit_none<E>(self) -> Result<Opaque, E> {
                Ok(Opaque)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Opaque, A::Error> {
                while seq.next_element::<Opaque>()?.is_some() {}
                Ok(Opaque)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Opaque, A::Error> {
                while map.next_key::<IgnoredKey>()?.is_some() {
                    map.next_value::<Opaque>()?;
                }
                Ok(Opaque)
            }
        }
        d.deserialize_any(V)
    }
}

/// A map key read without allocating.
struct IgnoredKey;
impl<'de> Deserialize<'de> for IgnoredKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = IgnoredKey;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E>(self, _: &str) -> Result<IgnoredKey, E> {
                Ok(IgnoredKey)
            }
        }
        d.deserialize_str(V)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Bom {
    #[serde(rename = "$schema")]
    pub schema: Option<Opaque>,
    pub bom_format: Option<String>,
    pub spec_version: Option<String>,
    pub serial_number: Option<String>,
    pub version: Option<i64>,
    pub metadata: Option<Metadata>,
    pub components: Option<Vec<Component>>,
    pub services: Option<Vec<Service>>,
    pub external_references: Option<Vec<ExternalReference>>,
    pub dependencies: Option<Vec<Dependency>>,
    pub compositions: Option<Opaque>,
    pub properties: Option<Vec<Property>>,
    pub vulnerabilities: Option<Vec<Vulnerability>>,
    pub annotations: Option<Opaque>,
    pub formulation: Option<Opaque>,
    pub declarations: Option<Opaque>,
    pub definitions: Option<Opaque>,
    pub citations: Option<Vec<Citation>>,
    pub signature: Option<Opaque>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    /// Line of the XML element (JSON positions are paths only).
    #[serde(skip)]
    pub line: Option<u64>,
    pub timestamp: Option<String>,
    pub lifecycles: Option<Opaque>,
    pub tools: Option<Tools>,
    pub authors: Option<Vec<Contact>>,
    pub component: Option<Box<Component>>,
    pub manufacture: Option<Entity>,
    pub manufacturer: Option<Entity>,
    pub supplier: Option<Entity>,
    pub licenses: Option<Vec<LicenseChoice>>,
    pub properties: Option<Vec<Property>>,
    pub distribution_constraints: Option<Opaque>,
}

/// `tools` is an array of tools (1.2-1.4, deprecated later) or `{components, services}` (1.5+).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Tools {
    Legacy(Vec<Tool>),
    Modern(ModernTools),
}

#[derive(Debug, Default, Deserialize)]
pub struct ModernTools {
    pub components: Option<Vec<Component>>,
    pub services: Option<Vec<Service>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tool {
    pub vendor: Option<String>,
    pub name: Option<String>,
    pub version: Option<String>,
    pub hashes: Option<Vec<Hash>>,
    pub external_references: Option<Vec<ExternalReference>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Entity {
    #[serde(rename = "bom-ref")]
    pub bom_ref: Option<String>,
    pub name: Option<String>,
    pub address: Option<Opaque>,
    pub url: Option<Vec<String>>,
    pub contact: Option<Vec<Contact>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Contact {
    #[serde(rename = "bom-ref")]
    pub bom_ref: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Component {
    /// Line of the XML element (JSON positions are paths only).
    #[serde(skip)]
    pub line: Option<u64>,
    #[serde(rename = "type")]
    pub component_type: Option<String>,
    #[serde(rename = "mime-type")]
    pub mime_type: Option<String>,
    #[serde(rename = "bom-ref")]
    pub bom_ref: Option<String>,
    pub supplier: Option<Entity>,
    pub manufacturer: Option<Entity>,
    pub authors: Option<Vec<Contact>>,
    pub author: Option<String>,
    pub publisher: Option<String>,
    pub group: Option<String>,
    pub name: Option<String>,
    pub version: Option<String>,
    pub version_range: Option<String>,
    pub is_external: Option<bool>,
    pub description: Option<String>,
    pub scope: Option<String>,
    pub hashes: Option<Vec<Hash>>,
    pub licenses: Option<Vec<LicenseChoice>>,
    pub copyright: Option<String>,
    pub cpe: Option<String>,
    pub purl: Option<String>,
    pub omnibor_id: Option<Opaque>,
    pub swhid: Option<Opaque>,
    pub swid: Option<Swid>,
    pub modified: Option<bool>,
    pub pedigree: Option<Pedigree>,
    pub external_references: Option<Vec<ExternalReference>>,
    pub properties: Option<Vec<Property>>,
    pub components: Option<Vec<Component>>,
    pub evidence: Option<Opaque>,
    pub release_notes: Option<Opaque>,
    pub model_card: Option<Opaque>,
    pub data: Option<Opaque>,
    pub crypto_properties: Option<Opaque>,
    pub tags: Option<Vec<String>>,
    pub signature: Option<Opaque>,
    pub patent_assertions: Option<Opaque>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Hash {
    /// Line of the XML element (JSON positions are paths only).
    #[serde(skip)]
    pub line: Option<u64>,
    pub alg: Option<String>,
    pub content: Option<String>,
}

/// One item of a `licenses` array: `{"license": …}` or `{"expression": …}` (never both).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LicenseChoice {
    /// Line of the XML element (JSON positions are paths only).
    #[serde(skip)]
    pub line: Option<u64>,
    pub license: Option<License>,
    pub expression: Option<String>,
    pub expression_details: Option<Opaque>,
    pub acknowledgement: Option<String>,
    #[serde(rename = "bom-ref")]
    pub bom_ref: Option<String>,
    pub licensing: Option<Opaque>,
    pub properties: Option<Vec<Property>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct License {
    #[serde(rename = "bom-ref")]
    pub bom_ref: Option<String>,
    pub id: Option<String>,
    pub name: Option<String>,
    pub acknowledgement: Option<String>,
    pub text: Option<Attachment>,
    pub url: Option<String>,
    pub licensing: Option<Opaque>,
    pub properties: Option<Vec<Property>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    pub content_type: Option<String>,
    pub encoding: Option<String>,
    pub content: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Property {
    /// Line of the XML element (JSON positions are paths only).
    #[serde(skip)]
    pub line: Option<u64>,
    pub name: Option<String>,
    pub value: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ExternalReference {
    /// Line of the XML element (JSON positions are paths only).
    #[serde(skip)]
    pub line: Option<u64>,
    pub url: Option<String>,
    pub comment: Option<String>,
    #[serde(rename = "type")]
    pub ref_type: Option<String>,
    pub hashes: Option<Vec<Hash>>,
    pub properties: Option<Vec<Property>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Dependency {
    /// Line of the XML element (JSON positions are paths only).
    #[serde(skip)]
    pub line: Option<u64>,
    #[serde(rename = "ref")]
    pub reference: Option<String>,
    pub depends_on: Option<Vec<String>>,
    pub provides: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Swid {
    pub tag_id: Option<String>,
    pub name: Option<String>,
    pub version: Option<String>,
    pub tag_version: Option<i64>,
    pub patch: Option<bool>,
    pub text: Option<Attachment>,
    pub url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Pedigree {
    pub ancestors: Option<Vec<Component>>,
    pub descendants: Option<Vec<Component>>,
    pub variants: Option<Vec<Component>>,
    pub commits: Option<Opaque>,
    pub patches: Option<Vec<Patch>>,
    pub notes: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Patch {
    #[serde(rename = "type")]
    pub patch_type: Option<String>,
    pub diff: Option<Opaque>,
    pub resolves: Option<Vec<Issue>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Issue {
    #[serde(rename = "type")]
    pub issue_type: Option<String>,
    pub id: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub source: Option<Opaque>,
    pub references: Option<Opaque>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Service {
    /// Line of the XML element (JSON positions are paths only).
    #[serde(skip)]
    pub line: Option<u64>,
    #[serde(rename = "bom-ref")]
    pub bom_ref: Option<String>,
    pub provider: Option<Entity>,
    pub group: Option<String>,
    pub name: Option<String>,
    pub version: Option<String>,
    pub description: Option<String>,
    pub endpoints: Option<Vec<String>>,
    pub authenticated: Option<bool>,
    #[serde(rename = "x-trust-boundary")]
    pub trust_boundary: Option<bool>,
    pub trust_zone: Option<String>,
    pub data: Option<Vec<ServiceData>>,
    pub licenses: Option<Vec<LicenseChoice>>,
    pub external_references: Option<Vec<ExternalReference>>,
    pub properties: Option<Vec<Property>>,
    pub services: Option<Vec<Service>>,
    pub release_notes: Option<Opaque>,
    pub tags: Option<Vec<String>>,
    pub signature: Option<Opaque>,
    pub patent_assertions: Option<Opaque>,
}

/// `{flow, classification}` (1.2-1.4) or a data flow with name, source, destination… (1.5+).
#[derive(Debug, Default, Deserialize)]
pub struct ServiceData {
    pub flow: Option<String>,
    pub classification: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub governance: Option<Opaque>,
    pub source: Option<Opaque>,
    pub destination: Option<Opaque>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Vulnerability {
    /// Line of the XML element (JSON positions are paths only).
    #[serde(skip)]
    pub line: Option<u64>,
    #[serde(rename = "bom-ref")]
    pub bom_ref: Option<String>,
    pub id: Option<String>,
    pub source: Option<VulnSource>,
    pub references: Option<Opaque>,
    pub ratings: Option<Vec<Rating>>,
    pub cwes: Option<Vec<u32>>,
    pub description: Option<String>,
    pub detail: Option<String>,
    pub recommendation: Option<String>,
    pub workaround: Option<String>,
    pub proof_of_concept: Option<Opaque>,
    pub advisories: Option<Opaque>,
    pub created: Option<String>,
    pub published: Option<String>,
    pub updated: Option<String>,
    pub rejected: Option<String>,
    pub credits: Option<Opaque>,
    pub tools: Option<Opaque>,
    pub analysis: Option<Analysis>,
    pub affects: Option<Vec<Affect>>,
    pub properties: Option<Vec<Property>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct VulnSource {
    pub name: Option<String>,
    pub url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Rating {
    pub source: Option<VulnSource>,
    pub score: Option<f64>,
    pub severity: Option<String>,
    pub method: Option<String>,
    pub vector: Option<String>,
    pub justification: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Analysis {
    pub state: Option<String>,
    pub justification: Option<String>,
    pub response: Option<Vec<String>>,
    pub detail: Option<String>,
    pub first_issued: Option<String>,
    pub last_updated: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Affect {
    #[serde(rename = "ref")]
    pub reference: Option<String>,
    pub versions: Option<Vec<AffectedVersion>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct AffectedVersion {
    pub version: Option<String>,
    pub range: Option<String>,
    pub status: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Citation {
    /// Line of the XML element (JSON positions are paths only).
    #[serde(skip)]
    pub line: Option<u64>,
    #[serde(rename = "bom-ref")]
    pub bom_ref: Option<String>,
    pub pointers: Option<Vec<String>>,
    pub expressions: Option<Vec<String>>,
    pub timestamp: Option<String>,
    pub attributed_to: Option<String>,
    pub process: Option<String>,
    pub note: Option<String>,
    pub signature: Option<Opaque>,
}
