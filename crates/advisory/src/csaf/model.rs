//! CSAF 2.0 document model. Every field is optional or defaulted so that a document missing a
//! required field still imports (the omission becomes a diagnostic); a value of the wrong JSON type is
//! a hard error naming line and column. Category values are kept as strings so unknown ones survive.

use serde::{Deserialize, Serialize};
use serde_json::Value;

macro_rules! lenient {
    ($(#[$m:meta])* pub struct $name:ident { $($(#[$fm:meta])* pub $f:ident : $t:ty),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        #[serde(default)]
        pub struct $name { $($(#[$fm])* pub $f: $t),* }
    };
}

lenient! {
    /// The `document` object: metadata of the advisory.
    pub struct DocumentMeta {
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub acknowledgments: Vec<Acknowledgment>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub aggregate_severity: Option<AggregateSeverity>,
        /// `csaf_base`, `csaf_security_advisory`, `csaf_vex`, … or any other string.
        pub category: String,
        pub csaf_version: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub distribution: Option<Distribution>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub lang: Option<String>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub notes: Vec<Note>,
        pub publisher: Publisher,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub references: Vec<Reference>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub source_lang: Option<String>,
        pub title: String,
        pub tracking: Tracking,
    }
}

lenient! {
    pub struct Acknowledgment {
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub names: Vec<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub organization: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub summary: Option<String>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub urls: Vec<String>,
    }
}

lenient! {
    pub struct AggregateSeverity {
        #[serde(skip_serializing_if = "Option::is_none")]
        pub namespace: Option<String>,
        pub text: String,
    }
}

lenient! {
    pub struct Distribution {
        #[serde(skip_serializing_if = "Option::is_none")]
        pub text: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub tlp: Option<Tlp>,
    }
}

lenient! {
    pub struct Tlp {
        /// `WHITE`, `GREEN`, `AMBER`, `RED`.
        pub label: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub url: Option<String>,
    }
}

lenient! {
    pub struct Note {
        #[serde(skip_serializing_if = "Option::is_none")]
        pub audience: Option<String>,
        pub category: String,
        pub text: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub title: Option<String>,
    }
}

lenient! {
    pub struct Publisher {
        /// `coordinator`, `discoverer`, `other`, `translator`, `user`, `vendor`.
        pub category: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub contact_details: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub issuing_authority: Option<String>,
        pub name: String,
        pub namespace: String,
    }
}

lenient! {
    pub struct Reference {
        #[serde(skip_serializing_if = "Option::is_none")]
        pub category: Option<String>,
        pub summary: String,
        pub url: String,
    }
}

lenient! {
    pub struct Tracking {
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub aliases: Vec<String>,
        pub current_release_date: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub generator: Option<Value>,
        pub id: String,
        pub initial_release_date: String,
        pub revision_history: Vec<Revision>,
        /// `draft`, `interim`, `final`.
        pub status: String,
        pub version: String,
    }
}

lenient! {
    pub struct Revision {
        pub date: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub legacy_version: Option<String>,
        pub number: String,
        pub summary: String,
    }
}

lenient! {
    pub struct ProductTree {
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub branches: Vec<Branch>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub full_product_names: Vec<FullProductName>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub product_groups: Vec<ProductGroup>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub relationships: Vec<Relationship>,
    }
}

lenient! {
    /// One node of the product tree. Recursion depth is bounded by the JSON depth check before parsing
    /// and by [`crate::MAX_BRANCH_DEPTH`] when walking.
    pub struct Branch {
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub branches: Vec<Branch>,
        /// `vendor`, `product_family`, `product_name`, `product_version`, `product_version_range`,
        /// `architecture`, `language`, `legacy`, `patch_level`, `service_pack`, `specification`, `host_name`.
        pub category: String,
        pub name: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub product: Option<FullProductName>,
    }
}

lenient! {
    pub struct FullProductName {
        pub name: String,
        pub product_id: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub product_identification_helper: Option<ProductIdentificationHelper>,
    }
}

lenient! {
    pub struct ProductIdentificationHelper {
        #[serde(skip_serializing_if = "Option::is_none")]
        pub cpe: Option<String>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub hashes: Vec<Hashes>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub model_numbers: Vec<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub purl: Option<String>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub sbom_urls: Vec<String>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub serial_numbers: Vec<String>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub skus: Vec<String>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub x_generic_uris: Vec<GenericUri>,
    }
}

lenient! {
    pub struct Hashes {
        pub file_hashes: Vec<FileHash>,
        pub filename: String,
    }
}

lenient! {
    pub struct FileHash {
        pub algorithm: String,
        pub value: String,
    }
}

lenient! {
    pub struct GenericUri {
        pub namespace: String,
        pub uri: String,
    }
}

lenient! {
    pub struct ProductGroup {
        pub group_id: String,
        pub product_ids: Vec<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub summary: Option<String>,
    }
}

lenient! {
    pub struct Relationship {
        /// `default_component_of`, `external_component_of`, `installed_on`, `installed_with`,
        /// `optional_component_of`.
        pub category: String,
        pub full_product_name: FullProductName,
        pub product_reference: String,
        pub relates_to_product_reference: String,
    }
}

lenient! {
    pub struct Vulnerability {
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub acknowledgments: Vec<Acknowledgment>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub cve: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub cwe: Option<Cwe>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub discovery_date: Option<String>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub flags: Vec<Flag>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub ids: Vec<VulnerabilityId>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub involvements: Vec<Involvement>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub notes: Vec<Note>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub product_status: Option<ProductStatus>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub references: Vec<Reference>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub release_date: Option<String>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub remediations: Vec<Remediation>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub scores: Vec<Score>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub threats: Vec<Threat>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub title: Option<String>,
    }
}

lenient! {
    pub struct Cwe {
        pub id: String,
        pub name: String,
    }
}

lenient! {
    pub struct Flag {
        #[serde(skip_serializing_if = "Option::is_none")]
        pub date: Option<String>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub group_ids: Vec<String>,
        /// VEX justification: `component_not_present`, `vulnerable_code_not_present`, …
        pub label: String,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub product_ids: Vec<String>,
    }
}

lenient! {
    pub struct VulnerabilityId {
        pub system_name: String,
        pub text: String,
    }
}

lenient! {
    pub struct Involvement {
        #[serde(skip_serializing_if = "Option::is_none")]
        pub date: Option<String>,
        pub party: String,
        pub status: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub summary: Option<String>,
    }
}

lenient! {
    pub struct ProductStatus {
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub first_affected: Vec<String>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub first_fixed: Vec<String>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub fixed: Vec<String>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub known_affected: Vec<String>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub known_not_affected: Vec<String>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub last_affected: Vec<String>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub recommended: Vec<String>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub under_investigation: Vec<String>,
    }
}

impl ProductStatus {
    /// Every status list with its JSON name.
    pub fn lists(&self) -> [(&'static str, &Vec<String>); 8] {
        [
            ("first_affected", &self.first_affected),
            ("first_fixed", &self.first_fixed),
            ("fixed", &self.fixed),
            ("known_affected", &self.known_affected),
            ("known_not_affected", &self.known_not_affected),
            ("last_affected", &self.last_affected),
            ("recommended", &self.recommended),
            ("under_investigation", &self.under_investigation),
        ]
    }
}

lenient! {
    pub struct Remediation {
        /// `mitigation`, `no_fix_planned`, `none_available`, `vendor_fix`, `workaround`.
        pub category: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub date: Option<String>,
        pub details: String,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub entitlements: Vec<String>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub group_ids: Vec<String>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub product_ids: Vec<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub restart_required: Option<Value>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub url: Option<String>,
    }
}

lenient! {
    pub struct Score {
        #[serde(skip_serializing_if = "Option::is_none")]
        pub cvss_v2: Option<CvssV2>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub cvss_v3: Option<CvssV3>,
        pub products: Vec<String>,
    }
}

lenient! {
    /// CVSS v3.x JSON (FIRST schema). Scores and metric names are kept as given.
    pub struct CvssV3 {
        #[serde(skip_serializing_if = "Option::is_none")]
        pub version: Option<String>,
        #[serde(rename = "vectorString", skip_serializing_if = "Option::is_none")]
        pub vector_string: Option<String>,
        #[serde(rename = "baseScore", skip_serializing_if = "Option::is_none")]
        pub base_score: Option<f64>,
        #[serde(rename = "baseSeverity", skip_serializing_if = "Option::is_none")]
        pub base_severity: Option<String>,
        #[serde(rename = "temporalScore", skip_serializing_if = "Option::is_none")]
        pub temporal_score: Option<f64>,
        #[serde(rename = "temporalSeverity", skip_serializing_if = "Option::is_none")]
        pub temporal_severity: Option<String>,
        #[serde(rename = "environmentalScore", skip_serializing_if = "Option::is_none")]
        pub environmental_score: Option<f64>,
        #[serde(rename = "environmentalSeverity", skip_serializing_if = "Option::is_none")]
        pub environmental_severity: Option<String>,
        /// Every other property (`attackVector`, …), as given.
        #[serde(flatten)]
        pub metrics: std::collections::BTreeMap<String, Value>,
    }
}

lenient! {
    /// CVSS v2 JSON (FIRST schema).
    pub struct CvssV2 {
        #[serde(skip_serializing_if = "Option::is_none")]
        pub version: Option<String>,
        #[serde(rename = "vectorString", skip_serializing_if = "Option::is_none")]
        pub vector_string: Option<String>,
        #[serde(rename = "baseScore", skip_serializing_if = "Option::is_none")]
        pub base_score: Option<f64>,
        #[serde(rename = "temporalScore", skip_serializing_if = "Option::is_none")]
        pub temporal_score: Option<f64>,
        #[serde(rename = "environmentalScore", skip_serializing_if = "Option::is_none")]
        pub environmental_score: Option<f64>,
        #[serde(flatten)]
        pub metrics: std::collections::BTreeMap<String, Value>,
    }
}

lenient! {
    pub struct Threat {
        /// `exploit_status`, `impact`, `target_set`.
        pub category: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub date: Option<String>,
        pub details: String,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub group_ids: Vec<String>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub product_ids: Vec<String>,
    }
}
