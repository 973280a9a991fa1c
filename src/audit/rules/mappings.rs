//! What each rule is about outside scopewatch: the documents that explain it (`references`) and
//! the controls of four frameworks it gives evidence for (`compliance`). `docs/compliance.md`
//! says why each control was chosen and where the mapping comes from; a test keeps the two in
//! step. Kept apart from the rule files: the mapping is an auditor's reading of the rule, not
//! part of its check.

/// The controls one rule gives evidence for, by framework. An empty list: no control of that
/// framework fits the rule closely enough to cite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Controls {
    /// CIS Critical Security Controls v8 safeguards (numbering unchanged in v8.1).
    pub cis_controls_v8: &'static [&'static str],
    /// NIST SP 800-53 Rev. 5 controls and control enhancements.
    pub nist_800_53_r5: &'static [&'static str],
    /// ISO/IEC 27001:2022 Annex A controls.
    pub iso_27001_2022: &'static [&'static str],
    /// AICPA SOC 2 trust services criteria (2017, revised points of focus 2022).
    pub soc2: &'static [&'static str],
}

/// A rule's references and controls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mapping {
    pub rule_id: &'static str,
    pub references: &'static [&'static str],
    pub controls: Controls,
}

/// The framework names as they appear in SARIF tags, CSV, HTML and OCSF, in report order.
pub const FRAMEWORKS: [&str; 4] = [
    "CIS Controls v8",
    "NIST SP 800-53 Rev. 5",
    "ISO/IEC 27001:2022",
    "SOC 2",
];

impl Controls {
    /// `(framework name, controls)` in the order of `FRAMEWORKS`.
    pub fn by_framework(&self) -> [(&'static str, &'static [&'static str]); 4] {
        [
            (FRAMEWORKS[0], self.cis_controls_v8),
            (FRAMEWORKS[1], self.nist_800_53_r5),
            (FRAMEWORKS[2], self.iso_27001_2022),
            (FRAMEWORKS[3], self.soc2),
        ]
    }
}

const CREATE_CLIENT: &str = "https://help.mypurecloud.com/articles/create-an-oauth-client/";
const CLIENT_CREDENTIALS: &str =
    "https://developer.genesys.cloud/api/rest/authorization/use-client-credentials";
const AUTHORIZED_APPS: &str =
    "https://help.mypurecloud.com/articles/view-oauth-clients-you-have-authorized/";
const OAUTH_BCP: &str = "https://www.rfc-editor.org/rfc/rfc9700";
const NATIVE_APPS: &str = "https://www.rfc-editor.org/rfc/rfc8252";
/// Genesys's answer giving the implicit grant's retirement dates (March 2026, March 2027).
const IMPLICIT_RETIREMENT: &str = "https://community.genesys.com/discussion/migrating-from-implicit-grant-can-we-use-authorization-code-grant-instead-of-pkce";

/// Least privilege in all four frameworks: the mapping of most access rules.
const LEAST_PRIVILEGE: Controls = Controls {
    cis_controls_v8: &["6.8"],
    nist_800_53_r5: &["AC-6"],
    iso_27001_2022: &["A.5.15", "A.8.2"],
    soc2: &["CC6.3"],
};

/// Privileged (administrative) access held by a non-person credential.
const PRIVILEGED: Controls = Controls {
    cis_controls_v8: &["5.4", "6.8"],
    nist_800_53_r5: &["AC-6", "AC-6(5)"],
    iso_27001_2022: &["A.5.18", "A.8.2"],
    soc2: &["CC6.1", "CC6.3"],
};

/// A client holding more than it uses, found from observed use.
const UNUSED_ACCESS: Controls = Controls {
    cis_controls_v8: &["6.8"],
    nist_800_53_r5: &["AC-6", "AC-6(7)"],
    iso_27001_2022: &["A.5.18", "A.8.2"],
    soc2: &["CC6.3"],
};

/// Configuration against the organization's own baseline (policy).
const BASELINE: Controls = Controls {
    cis_controls_v8: &["4.1"],
    nist_800_53_r5: &["CM-6"],
    iso_27001_2022: &["A.8.9"],
    soc2: &["CC7.1"],
};

/// Every rule of the built-in pack, and those named for this round (SPEC §13), by id.
pub static MAPPINGS: &[Mapping] = &[
    Mapping {
        rule_id: "client-administers-access",
        references: &[CREATE_CLIENT],
        controls: Controls {
            cis_controls_v8: &["5.4", "8.11"],
            nist_800_53_r5: &["AC-6(9)", "AU-6"],
            iso_27001_2022: &["A.8.2", "A.8.16"],
            soc2: &["CC6.3", "CC7.2"],
        },
    },
    Mapping {
        rule_id: "privilege-escalation",
        references: &[CREATE_CLIENT],
        controls: Controls {
            cis_controls_v8: &["5.4", "6.8"],
            nist_800_53_r5: &["AC-6", "AC-6(10)"],
            iso_27001_2022: &["A.5.15", "A.8.2"],
            soc2: &["CC6.1", "CC6.3"],
        },
    },
    Mapping {
        rule_id: "admin-role",
        references: &[CREATE_CLIENT, CLIENT_CREDENTIALS],
        controls: PRIVILEGED,
    },
    Mapping {
        rule_id: "auditor-over-privileged",
        references: &[CLIENT_CREDENTIALS],
        controls: LEAST_PRIVILEGE,
    },
    Mapping {
        rule_id: "high-risk-scope",
        references: &[CREATE_CLIENT],
        controls: LEAST_PRIVILEGE,
    },
    Mapping {
        rule_id: "public-client-write-scope",
        references: &[CREATE_CLIENT, OAUTH_BCP],
        controls: Controls {
            cis_controls_v8: &["6.8"],
            nist_800_53_r5: &["AC-6", "IA-9"],
            iso_27001_2022: &["A.5.15", "A.8.5"],
            soc2: &["CC6.1", "CC6.3"],
        },
    },
    Mapping {
        rule_id: "insecure-redirect-uri",
        references: &[CREATE_CLIENT, OAUTH_BCP, NATIVE_APPS],
        controls: Controls {
            cis_controls_v8: &["3.10"],
            nist_800_53_r5: &["SC-8", "SC-23"],
            iso_27001_2022: &["A.5.14", "A.8.26"],
            soc2: &["CC6.7"],
        },
    },
    Mapping {
        rule_id: "deprecated-grant",
        references: &[OAUTH_BCP, CREATE_CLIENT, IMPLICIT_RETIREMENT],
        controls: Controls {
            cis_controls_v8: &["16.10"],
            nist_800_53_r5: &["IA-5", "SC-23"],
            iso_27001_2022: &["A.8.5"],
            soc2: &["CC6.1"],
        },
    },
    Mapping {
        rule_id: "all-divisions",
        references: &[CREATE_CLIENT],
        controls: Controls {
            cis_controls_v8: &["3.3", "6.8"],
            nist_800_53_r5: &["AC-3", "AC-6"],
            iso_27001_2022: &["A.5.15", "A.8.3"],
            soc2: &["CC6.3"],
        },
    },
    Mapping {
        rule_id: "long-token-lifetime",
        references: &[CREATE_CLIENT, OAUTH_BCP],
        controls: Controls {
            cis_controls_v8: &["4.1"],
            nist_800_53_r5: &["AC-12", "SC-23"],
            iso_27001_2022: &["A.8.5"],
            soc2: &["CC6.1"],
        },
    },
    Mapping {
        rule_id: "unused-client",
        references: &[CREATE_CLIENT],
        controls: Controls {
            cis_controls_v8: &["5.3"],
            nist_800_53_r5: &["AC-2(3)"],
            iso_27001_2022: &["A.5.15", "A.5.18"],
            soc2: &["CC6.2"],
        },
    },
    Mapping {
        rule_id: "orphaned-client",
        references: &[CREATE_CLIENT],
        controls: Controls {
            cis_controls_v8: &["5.5", "6.2"],
            nist_800_53_r5: &["AC-2", "PS-4"],
            iso_27001_2022: &["A.5.16", "A.5.18"],
            soc2: &["CC6.2"],
        },
    },
    Mapping {
        rule_id: "unused-permissions",
        references: &[CLIENT_CREDENTIALS],
        controls: UNUSED_ACCESS,
    },
    Mapping {
        rule_id: "unused-scopes",
        references: &[CREATE_CLIENT],
        controls: UNUSED_ACCESS,
    },
    Mapping {
        rule_id: "excessive-scopes",
        references: &[CREATE_CLIENT],
        controls: LEAST_PRIVILEGE,
    },
    Mapping {
        rule_id: "missing-required-scope",
        references: &[CREATE_CLIENT],
        controls: BASELINE,
    },
    Mapping {
        rule_id: "inactive-client-with-access",
        references: &[CREATE_CLIENT],
        controls: Controls {
            cis_controls_v8: &["6.2"],
            nist_800_53_r5: &["AC-2"],
            iso_27001_2022: &["A.5.18"],
            soc2: &["CC6.2", "CC6.3"],
        },
    },
    Mapping {
        rule_id: "unknown-scope",
        references: &[CREATE_CLIENT],
        controls: BASELINE,
    },
    Mapping {
        rule_id: "no-description",
        references: &[CREATE_CLIENT],
        controls: Controls {
            cis_controls_v8: &["5.5"],
            nist_800_53_r5: &["AC-2"],
            iso_27001_2022: &["A.5.9", "A.5.16"],
            soc2: &["CC6.1"],
        },
    },
    Mapping {
        rule_id: "recent-privilege-change",
        references: &[CREATE_CLIENT],
        controls: Controls {
            cis_controls_v8: &["8.11"],
            nist_800_53_r5: &["AU-6", "CM-3"],
            iso_27001_2022: &["A.8.15", "A.8.32"],
            soc2: &["CC7.2", "CC8.1"],
        },
    },
    Mapping {
        rule_id: "expired-waiver",
        references: &[],
        controls: Controls {
            cis_controls_v8: &[],
            nist_800_53_r5: &["CA-5", "RA-7"],
            iso_27001_2022: &["A.5.36"],
            soc2: &["CC4.2"],
        },
    },
    Mapping {
        rule_id: "third-party-app-access",
        references: &[AUTHORIZED_APPS],
        controls: Controls {
            cis_controls_v8: &["15.1"],
            nist_800_53_r5: &["AC-20", "SA-9"],
            iso_27001_2022: &["A.5.19"],
            soc2: &["CC9.2"],
        },
    },
    Mapping {
        rule_id: "stale-client-secret",
        references: &[CLIENT_CREDENTIALS, CREATE_CLIENT],
        controls: Controls {
            cis_controls_v8: &[],
            nist_800_53_r5: &["IA-5", "IA-5(1)"],
            iso_27001_2022: &["A.5.17"],
            soc2: &["CC6.1"],
        },
    },
    Mapping {
        rule_id: "usage-anomaly",
        references: &[],
        controls: Controls {
            cis_controls_v8: &["8.11"],
            nist_800_53_r5: &["AU-6", "SI-4"],
            iso_27001_2022: &["A.8.16"],
            soc2: &["CC7.2"],
        },
    },
    Mapping {
        rule_id: "org-no-ip-allowlist",
        references: &[],
        controls: Controls {
            cis_controls_v8: &[],
            nist_800_53_r5: &["AC-3", "SC-7"],
            iso_27001_2022: &["A.8.20"],
            soc2: &["CC6.6"],
        },
    },
];

/// The mapping of a rule, if it has one.
pub fn mapping(rule_id: &str) -> Option<&'static Mapping> {
    MAPPINGS.iter().find(|m| m.rule_id == rule_id)
}

#[cfg(test)]
mod tests {
    use super::super::all_meta;
    use super::*;

    #[test]
    fn every_rule_of_the_pack_is_mapped_to_at_least_three_frameworks() {
        for meta in all_meta() {
            let m =
                mapping(meta.id).unwrap_or_else(|| panic!("{} has no compliance mapping", meta.id));
            let mapped = m
                .controls
                .by_framework()
                .iter()
                .filter(|(_, ids)| !ids.is_empty())
                .count();
            assert!(mapped >= 3, "{}: only {mapped} frameworks", m.rule_id);
        }
    }

    #[test]
    fn control_ids_are_written_as_each_framework_numbers_them() {
        let nist = |id: &str| {
            let (family, rest) = id.split_once('-').unwrap_or(("", ""));
            family.len() == 2
                && family.chars().all(|c| c.is_ascii_uppercase())
                && rest
                    .split(['(', ')'])
                    .all(|p| p.chars().all(|c| c.is_ascii_digit()))
        };
        for m in MAPPINGS {
            let c = &m.controls;
            for id in c.cis_controls_v8 {
                let (control, safeguard) = id.split_once('.').expect("CIS n.m");
                let control: u32 = control.parse().expect("CIS control number");
                assert!((1..=18).contains(&control), "{}: CIS {id}", m.rule_id);
                assert!(safeguard.parse::<u32>().is_ok(), "{}: CIS {id}", m.rule_id);
            }
            for id in c.nist_800_53_r5 {
                assert!(nist(id), "{}: NIST {id}", m.rule_id);
            }
            for id in c.iso_27001_2022 {
                let (theme, number) = id
                    .strip_prefix("A.")
                    .and_then(|r| r.split_once('.'))
                    .expect("ISO A.t.n");
                let limit = match theme {
                    "5" => 37,
                    "6" => 8,
                    "7" => 14,
                    "8" => 34,
                    _ => 0,
                };
                let n: u32 = number.parse().expect("ISO control number");
                assert!((1..=limit).contains(&n), "{}: ISO {id}", m.rule_id);
            }
            for id in c.soc2 {
                let (series, n) = id
                    .strip_prefix("CC")
                    .and_then(|r| r.split_once('.'))
                    .expect("SOC 2 CCs.n");
                assert!(
                    ("1"..="9").contains(&series) && n.parse::<u32>().is_ok(),
                    "{}: SOC 2 {id}",
                    m.rule_id
                );
            }
        }
    }

    /// `docs/compliance.md`'s table: one row per rule, the same controls as the code.
    #[test]
    fn the_docs_table_says_the_same_controls_for_every_rule() {
        let doc = include_str!("../../../docs/compliance.md");
        let table = doc
            .split("\n## The table\n")
            .nth(1)
            .and_then(|rest| rest.split("\n## ").next())
            .expect("a section '## The table'");
        let mut rows = 0;
        for line in table.lines().filter(|l| l.starts_with("| `")) {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let id = cells[1].trim_start_matches('`').split('`').next().unwrap();
            let m = mapping(id).unwrap_or_else(|| panic!("docs row {id} has no mapping"));
            let ids = |cell: &str| -> Vec<String> {
                if cell == "—" {
                    Vec::new()
                } else {
                    cell.split(", ").map(str::to_string).collect()
                }
            };
            for (i, (framework, controls)) in m.controls.by_framework().iter().enumerate() {
                assert_eq!(ids(cells[2 + i]), *controls, "{id}, {framework}");
            }
            rows += 1;
        }
        assert_eq!(rows, MAPPINGS.len(), "one docs row per mapping");
    }

    #[test]
    fn no_rule_is_mapped_twice() {
        for (i, m) in MAPPINGS.iter().enumerate() {
            assert!(
                MAPPINGS[i + 1..].iter().all(|o| o.rule_id != m.rule_id),
                "{} twice",
                m.rule_id
            );
        }
    }
}
