use crate::catalogue::FiscalYear;

/// Everything the checklist refuses, with a message in English (`Display`) and Japanese ([`Self::ja`]).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ChecklistError {
    #[error("data file {file}: {reason}")]
    Data { file: &'static str, reason: String },
    #[error("there is no checklist for fiscal year {fiscal_year} (known: {known:?})")]
    UnknownFiscalYear {
        fiscal_year: FiscalYear,
        known: Vec<FiscalYear>,
    },
    #[error("unknown checklist item {item_id}")]
    UnknownItem { item_id: String },
    #[error("item {item_id} is not in the FY{fiscal_year} checklist; it belongs to {available:?}")]
    ItemNotInFiscalYear {
        item_id: String,
        fiscal_year: FiscalYear,
        available: Vec<FiscalYear>,
    },
    #[error("item {item_id} is in the optional HHS layer, which is switched off")]
    LayerOff { item_id: String },
    #[error("answer for FY{answer_year} given to the FY{version_year} checklist")]
    FiscalYearMismatch {
        answer_year: FiscalYear,
        version_year: FiscalYear,
    },
    #[error("answer {value:?} is not one of yes, no, na (はい, いいえ, 対象外)")]
    BadAnswer { value: String },
    #[error("{field}: {value:?} is not a date (YYYY-MM-DD)")]
    BadDate { field: &'static str, value: String },
    #[error("{field} is longer than {max} characters")]
    TooLong { field: &'static str, max: usize },
    #[error("link {value:?} must be an http(s) URL or an mdsec path starting with /")]
    BadLink { value: String },
    #[error("evidence file {name}: {size} bytes is over the limit of {max} bytes")]
    EvidenceTooLarge {
        name: String,
        size: usize,
        max: usize,
    },
    #[error("evidence file {name}: {reason}")]
    EvidenceType { name: String, reason: String },
    #[error("survey question {number} does not exist (1–78)")]
    UnknownQuestion { number: u32 },
    #[error("survey question {number}: {reason}")]
    BadSurveyAnswer { number: u32, reason: String },
}

impl ChecklistError {
    /// The message in Japanese, for the UI.
    pub fn ja(&self) -> String {
        match self {
            ChecklistError::Data { file, reason } => format!("データファイル {file}: {reason}"),
            ChecklistError::UnknownFiscalYear { fiscal_year, known } => format!(
                "{fiscal_year} 年度のチェックリストはありません（対応年度: {}）",
                years(known)
            ),
            ChecklistError::UnknownItem { item_id } => format!("チェック項目 {item_id} はありません"),
            ChecklistError::ItemNotInFiscalYear {
                item_id,
                fiscal_year,
                available,
            } => format!(
                "項目 {item_id} は {fiscal_year} 年度版のチェックリストにはありません（{} 年度版の項目です）。その年度の項目に回答してください。",
                years(available)
            ),
            ChecklistError::LayerOff { item_id } => {
                format!("項目 {item_id} は任意の HHS 項目で、現在は使わない設定です")
            }
            ChecklistError::FiscalYearMismatch {
                answer_year,
                version_year,
            } => format!(
                "{answer_year} 年度の回答を {version_year} 年度のチェックリストに登録することはできません"
            ),
            ChecklistError::BadAnswer { value } => {
                format!("回答「{value}」は はい・いいえ・対象外 のいずれでもありません")
            }
            ChecklistError::BadDate { field, value } => {
                format!("{field}「{value}」は日付（YYYY-MM-DD）ではありません")
            }
            ChecklistError::TooLong { field, max } => format!("{field} は {max} 文字以内にしてください"),
            ChecklistError::BadLink { value } => format!(
                "リンク「{value}」は http(s) の URL か、/ で始まる mdsec のページにしてください"
            ),
            ChecklistError::EvidenceTooLarge { name, size, max } => format!(
                "根拠ファイル {name} は {size} バイトで、上限 {max} バイトを超えています"
            ),
            ChecklistError::EvidenceType { name, reason } => {
                format!("根拠ファイル {name} は受け付けられません: {reason}")
            }
            ChecklistError::UnknownQuestion { number } => {
                format!("設問 {number} はありません（設問1〜78）")
            }
            ChecklistError::BadSurveyAnswer { number, reason } => format!("設問 {number}: {reason}"),
        }
    }
}

fn years(list: &[FiscalYear]) -> String {
    list.iter()
        .map(|y| y.to_string())
        .collect::<Vec<_>>()
        .join("・")
}
