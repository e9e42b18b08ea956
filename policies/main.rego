# METADATA
# description: >-
#   The deployment gate's single entrypoint: every result of every rule package under
#   data.imgsec.rules, tagged with the package it came from. The engine adds each rule's id,
#   title, severity, controls and remediation from the metadata catalog built at build time.
# entrypoint: true
package imgsec.main

results := [object.union(r, {"package": concat(".", ["imgsec.rules", service, name])}) |
	some service, rules in data.imgsec.rules
	some name, rule in rules
	some r in rule.results
]
