# METADATA
# description: >-
#   The package gate's single entrypoint: every result of every rule package under
#   data.imgsec.package.rules, tagged with the package it came from. The engine
#   (policies/engine/package-gate.ts) adds each rule's id, title, severity, controls and remediation
#   from the metadata catalog built at build time (policies/dist/package-catalog.json).
# entrypoint: true
package imgsec.package.main

results := [object.union(r, {"package": concat(".", ["imgsec.package.rules", name])}) |
	some name, rule in data.imgsec.package.rules
	some r in rule.results
]
