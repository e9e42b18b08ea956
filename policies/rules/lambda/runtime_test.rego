package imgsec.rules.lambda.runtime_test

import data.imgsec.fixtures_test as f
import data.imgsec.rules.lambda.runtime

fn(values) := f.res("aws_lambda_function", "fn", object.union({"function_name": "deid"}, values))

# One stack evaluated on `date` (params.evaluation_date, as `imgsec check --params` pins it).
on(date, values) := object.union(f.stack([fn(values)]), {"params": {"evaluation_date": date}})

# The same, dated by the engine's clock (input.evaluation_date).
by_clock(date, values) := object.union(f.stack([fn(values)]), {"evaluation_date": date})

status := f.statuses(runtime.results, "aws_lambda_function.fn")

messages contains r.message if some r in runtime.results

test_supported_runtimes_pass if {
	status == {"PASS"} with input as on("2026-12-02", {"runtime": "nodejs24.x"})
	status == {"PASS"} with input as on("2026-12-02", {"runtime": "nodejs22.x"})
	status == {"PASS"} with input as on("2026-12-02", {"runtime": "python3.13"})
	status == {"PASS"} with input as by_clock("2026-12-02", {"runtime": "nodejs24.x"})
	want := "runtime nodejs24.x is supported until 2028-04-30 (evaluated on 2026-12-02)"
	messages == {want} with input as on("2026-12-02", {"runtime": "nodejs24.x"})
}

test_deprecated_runtimes_fail if {
	status == {"FAIL"} with input as on("2026-12-02", {"runtime": "nodejs20.x"})
	status == {"FAIL"} with input as on("2026-12-02", {"runtime": "nodejs18.x"})
	status == {"FAIL"} with input as on("2026-12-02", {"runtime": "python3.9"})
	status == {"FAIL"} with input as on("2026-12-02", {"runtime": "go1.x"})
	want := "runtime nodejs20.x is deprecated since 2026-04-30 (evaluated on 2026-12-02): AWS no longer patches it"
	messages == {want} with input as on("2026-12-02", {"runtime": "nodejs20.x"})
}

test_deprecation_date_decides_fail if {
	# The day before nodejs22.x's deprecation it passes; on the day it fails.
	status == {"PASS"} with input as on("2027-04-29", {"runtime": "nodejs22.x"})
	status == {"FAIL"} with input as on("2027-04-30", {"runtime": "nodejs22.x"})
	status == {"FAIL"} with input as by_clock("2028-05-01", {"runtime": "nodejs24.x"})
}

test_pinned_date_wins_over_the_clock_pass if {
	inp := object.union(on("2026-12-02", {"runtime": "nodejs22.x"}), {"evaluation_date": "2030-01-01"})
	status == {"PASS"} with input as inp
}

test_without_a_date_runtimes_deprecated_before_review_fail if {
	inp := f.stack([fn({"runtime": "nodejs20.x"})])
	status == {"FAIL"} with input as inp
	messages == {"runtime nodejs20.x is deprecated since 2026-04-30: AWS no longer patches it"} with input as inp
}

test_without_a_date_later_deprecations_are_unknown if {
	status == {"UNKNOWN"} with input as f.stack([fn({"runtime": "nodejs24.x"})])
	status == {"UNKNOWN"} with input as on("not a date", {"runtime": "nodejs24.x"})
}

test_unlisted_runtime_is_unknown if {
	status == {"UNKNOWN"} with input as on("2026-12-02", {"runtime": "nodejs26.x"})
}

test_zip_function_without_runtime_fails if {
	status == {"FAIL"} with input as on("2026-12-02", {})
	status == {"FAIL"} with input as on("2026-12-02", {"package_type": "Zip"})
}

test_container_image_has_no_result if {
	count(runtime.results) == 0 with input as on("2026-12-02", {"package_type": "Image", "image_uri": "x"})
}

test_unknown_runtime if {
	status == {"UNKNOWN"} with input as on("2026-12-02", {"runtime": f.unknown})
	status == {"UNKNOWN"} with input as on("2026-12-02", {"runtime": "nodejs${?}.x"})
	plan := object.union(
		f.stack([f.res_refs("aws_lambda_function", "fn", {}, {"runtime": ["aws_ssm_parameter.runtime"]})]),
		{"params": {"evaluation_date": "2026-12-02"}},
	)
	status == {"UNKNOWN"} with input as plan
	want := "runtime is unknown (not a literal): cannot show that it is not deprecated"
	messages == {want} with input as on("2026-12-02", {"runtime": f.unknown})
}

test_unknown_package_type if {
	status == {"UNKNOWN"} with input as on("2026-12-02", {"package_type": f.unknown})

	# A literal runtime is judged whatever the package type.
	status == {"FAIL"} with input as on("2026-12-02", {"package_type": f.unknown, "runtime": "nodejs20.x"})
}
