package pgsql

// The engine functions that operators and special forms translate to. The
// engine registers a function under each name, with PostgreSQL semantics.
const (
	// FnInt wraps every integer literal: kdb_int(42) is the BIGINT 42. The
	// engine types a bare integer literal by its size (42 would be a
	// TINYINT, which reads as a boolean).
	FnInt        = "kdb_int"
	FnCase       = "kdb_case"        // kdb_case('searched'|'simple' [+'else'], [x], cond, val, ..., [else])
	FnNot        = "kdb_not"         // NOT EXISTS (...)
	FnNulls      = "kdb_nulls"       // ORDER BY marker: kdb_nulls('k:first'|'k:last') sets the NULL placement of key k
	FnAdd        = "kdb_add"         // a + b (numbers; timestamp/date arithmetic)
	FnSub        = "kdb_sub"         // a - b
	FnMul        = "kdb_mul"         // a * b
	FnDiv        = "kdb_div"         // a / b: integers truncate, division by zero fails
	FnMod        = "kdb_mod"         // a % b
	FnNeg        = "kdb_neg"         // -a
	FnPos        = "kdb_pos"         // +a
	FnPower      = "kdb_power"       // a ^ b
	FnBitAnd     = "kdb_bitand"      // a & b
	FnBitOr      = "kdb_bitor"       // a | b
	FnBitNot     = "kdb_bitnot"      // ~a
	FnShiftLeft  = "kdb_shl"         // a << b
	FnShiftRight = "kdb_shr"         // a >> b
	FnConcatOp   = "kdb_concat_op"   // a || b: NULL if either is NULL
	FnCast       = "kdb_cast"        // kdb_cast(x, 'TYPE'): CAST and ::
	FnTryCast    = "kdb_try_cast"    // kdb_try_cast(x, 'TYPE'): NULL when x does not convert
	FnILike      = "kdb_ilike"       // kdb_ilike(a, pattern, escape)
	FnRegexMatch = "kdb_regex_match" // kdb_regex_match(a, pattern, op) for ~ ~* !~ !~*
	FnJSONGet    = "kdb_json_get"    // a -> key
	FnJSONText   = "kdb_json_text"   // a ->> key
	FnJSONPath   = "kdb_json_path"   // a #> path
	FnJSONPathT  = "kdb_json_path_text"
	FnJSONExists = "kdb_json_exists"  // a ? key
	FnInterval   = "kdb_add_interval" // kdb_add_interval(ts, 'interval text', sign)
	FnBoolParam  = "kdb_bool_param"   // TRUE/FALSE compared with a column: a boolean the planner keeps
	// FnNoFunction stands for a call of a function that does not exist:
	// kdb_no_function('name', arg...). The engine refuses it once it knows
	// the arguments' types, which PostgreSQL's message names
	// ("function nosuch(integer) does not exist").
	FnNoFunction = "kdb_no_function"

	// FnIntervalMul is an interval times or divided by a number:
	// kdb_interval_mul('interval text', factor, 'mul'|'rmul'|'div'), rmul
	// when the factor was written first; its value is interval text.
	FnIntervalMul = "kdb_interval_mul"
	// FnMakeInterval is make_interval(years, months, weeks, days, hours,
	// mins, secs) as interval text, all seven given.
	FnMakeInterval = "kdb_make_interval"

	// ExtractMarker is kdb_date_part's third argument when EXTRACT was written.
	ExtractMarker = "extract"
	FnNullIf      = "kdb_nullif"       // NULLIF(a, b)
	FnCoalesce    = "kdb_coalesce"     // COALESCE(...)
	FnGreatest    = "kdb_greatest"     // GREATEST(...)
	FnLeast       = "kdb_least"        // LEAST(...)
	FnNow         = "kdb_now"          // now(), CURRENT_TIMESTAMP
	FnCurDate     = "kdb_current_date" // CURRENT_DATE
	FnCurTime     = "kdb_current_time" // CURRENT_TIME
	FnCurUser     = "current_user"     // CURRENT_USER: the effective user's name
	FnCurRole     = "kdb_current_role" // CURRENT_ROLE: the effective role
	FnDatePart    = "kdb_date_part"    // date_part(field, x), EXTRACT(field FROM x) as kdb_date_part(field, x, ExtractMarker)
	FnSubstring   = "kdb_substr"       // substring/substr
	FnStrPos      = "kdb_strpos"       // position(a IN b), strpos(b, a)
	FnBTrim       = "kdb_btrim"        // TRIM(...), btrim
	FnLTrim       = "kdb_ltrim"        // TRIM(LEADING ...), ltrim
	FnRTrim       = "kdb_rtrim"        // TRIM(TRAILING ...), rtrim
	FnOverlay     = "kdb_overlay"      // OVERLAY(a PLACING b FROM c [FOR d])
	FnClock       = "kdb_clock_timestamp"
)

// AggregateCarrier is the engine name every KalamDB aggregate is called
// through. The engine's planner treats a fixed list of names as
// aggregates; this one (MySQL's STD, which PostgreSQL does not have) is
// taken over by KalamDB and dispatches on its first argument, a constant
// that names the aggregate and its options (aggregates.go).
const AggregateCarrier = "std"

// fnKind says how a function is called.
type fnKind uint8

const (
	scalar    fnKind = iota
	aggregate        // through AggregateCarrier
	engineAgg        // the engine's own aggregate (count, min, max)
	window           // a window function, only with OVER
)

// fnSpec is a function KalamDB's SQL offers.
type fnSpec struct {
	name     string // the engine's name; aggregates: the name in the carrier's spec
	min, max int    // argument counts (max -1: any)
	kind     fnKind
}

// functions lists every function a statement may call, by PostgreSQL
// name (lower case). A name not listed is an unknown function.
var functions = map[string]fnSpec{
	// KalamDB's own.
	"snowflake_id":      {"snowflake_id", 0, 0, scalar},
	"uuid_v7":           {"uuid_v7", 0, 0, scalar},
	"ulid":              {"ulid", 0, 0, scalar},
	"kdb_current_user":  {FnCurUser, 0, 0, scalar},
	"current_user_id":   {"current_user_id", 0, 0, scalar},
	"kdb_current_role":  {FnCurRole, 0, 0, scalar},
	"kdb$cur_user":      {FnCurUser, 0, 0, scalar},
	"kdb$cur_role":      {FnCurRole, 0, 0, scalar},
	"kdb$cur_date":      {FnCurDate, 0, 0, scalar},
	"kdb$cur_time":      {FnCurTime, 0, 0, scalar},
	"kdb$cur_timestamp": {FnNow, 0, 0, scalar},

	// Strings.
	"length":           {"kdb_length", 1, 1, scalar},
	"char_length":      {"kdb_length", 1, 1, scalar},
	"character_length": {"kdb_length", 1, 1, scalar},
	"octet_length":     {"kdb_octet_length", 1, 1, scalar},
	"bit_length":       {"kdb_bit_length", 1, 1, scalar},
	"lower":            {"kdb_lower", 1, 1, scalar},
	"upper":            {"kdb_upper", 1, 1, scalar},
	"initcap":          {"kdb_initcap", 1, 1, scalar},
	"concat":           {"kdb_concat", 1, -1, scalar},
	"concat_ws":        {"kdb_concat_ws", 2, -1, scalar},
	"substring":        {FnSubstring, 2, 3, scalar},
	"substr":           {FnSubstring, 2, 3, scalar},
	"position":         {FnStrPos, 2, 2, scalar},
	"strpos":           {FnStrPos, 2, 2, scalar},
	"left":             {"kdb_left", 2, 2, scalar},
	"right":            {"kdb_right", 2, 2, scalar},
	"lpad":             {"kdb_lpad", 2, 3, scalar},
	"rpad":             {"kdb_rpad", 2, 3, scalar},
	"btrim":            {FnBTrim, 1, 2, scalar},
	"ltrim":            {FnLTrim, 1, 2, scalar},
	"rtrim":            {FnRTrim, 1, 2, scalar},
	"replace":          {"kdb_replace", 3, 3, scalar},
	"repeat":           {"kdb_repeat", 2, 2, scalar},
	"reverse":          {"kdb_reverse", 1, 1, scalar},
	"split_part":       {"kdb_split_part", 3, 3, scalar},
	"starts_with":      {"kdb_starts_with", 2, 2, scalar},
	"ends_with":        {"kdb_ends_with", 2, 2, scalar},
	"translate":        {"kdb_translate", 3, 3, scalar},
	"ascii":            {"kdb_ascii", 1, 1, scalar},
	"chr":              {"kdb_chr", 1, 1, scalar},
	"md5":              {"kdb_md5", 1, 1, scalar},
	"to_hex":           {"kdb_to_hex", 1, 1, scalar},
	"overlay":          {FnOverlay, 3, 4, scalar},
	"regexp_replace":   {"kdb_regexp_replace", 3, 6, scalar},
	"regexp_like":      {"kdb_regexp_like", 2, 3, scalar},
	"regexp_count":     {"kdb_regexp_count", 2, 4, scalar},
	"gen_random_uuid":  {"kdb_gen_random_uuid", 0, 0, scalar},

	// Numbers.
	"abs":     {"kdb_abs", 1, 1, scalar},
	"ceil":    {"kdb_ceil", 1, 1, scalar},
	"ceiling": {"kdb_ceil", 1, 1, scalar},
	"floor":   {"kdb_floor", 1, 1, scalar},
	"round":   {"kdb_round", 1, 2, scalar},
	"trunc":   {"kdb_trunc", 1, 2, scalar},
	"mod":     {FnMod, 2, 2, scalar},
	"div":     {"kdb_intdiv", 2, 2, scalar},
	"power":   {FnPower, 2, 2, scalar},
	"pow":     {FnPower, 2, 2, scalar},
	"sqrt":    {"kdb_sqrt", 1, 1, scalar},
	"cbrt":    {"kdb_cbrt", 1, 1, scalar},
	"exp":     {"kdb_exp", 1, 1, scalar},
	"ln":      {"kdb_ln", 1, 1, scalar},
	"log":     {"kdb_log", 1, 2, scalar},
	"log10":   {"kdb_log10", 1, 1, scalar},
	"sign":    {"kdb_sign", 1, 1, scalar},
	"pi":      {"kdb_pi", 0, 0, scalar},
	"random":  {"kdb_random", 0, 0, scalar},
	"degrees": {"kdb_degrees", 1, 1, scalar},
	"radians": {"kdb_radians", 1, 1, scalar},
	"sin":     {"kdb_sin", 1, 1, scalar},
	"cos":     {"kdb_cos", 1, 1, scalar},
	"tan":     {"kdb_tan", 1, 1, scalar},
	"asin":    {"kdb_asin", 1, 1, scalar},
	"acos":    {"kdb_acos", 1, 1, scalar},
	"atan":    {"kdb_atan", 1, 1, scalar},
	"atan2":   {"kdb_atan2", 2, 2, scalar},
	"cot":     {"kdb_cot", 1, 1, scalar},

	// Dates and times.
	"now":                   {FnNow, 0, 0, scalar},
	"statement_timestamp":   {FnNow, 0, 0, scalar},
	"transaction_timestamp": {FnNow, 0, 0, scalar},
	"clock_timestamp":       {FnClock, 0, 0, scalar},
	"date_trunc":            {"kdb_date_trunc", 2, 2, scalar},
	"date_part":             {FnDatePart, 2, 2, scalar},
	"extract":               {FnDatePart, 2, 2, scalar},
	"to_timestamp":          {"kdb_to_timestamp", 1, 2, scalar},
	"to_timestamp_seconds":  {"kdb_to_timestamp_seconds", 1, 1, scalar},
	"to_timestamp_millis":   {"kdb_to_timestamp_millis", 1, 1, scalar},
	"to_timestamp_micros":   {"kdb_to_timestamp_micros", 1, 1, scalar},
	"to_date":               {"kdb_to_date", 1, 2, scalar},
	"to_char":               {"kdb_to_char", 2, 2, scalar},
	"make_date":             {"kdb_make_date", 3, 3, scalar},

	// JSON: PostgreSQL's and KalamDB's (DataFusion's json_* functions).
	"json_get":                {"kdb_json_get_fn", 2, -1, scalar},
	"json_get_str":            {"kdb_json_get_str", 2, -1, scalar},
	"json_as_text":            {"kdb_json_as_text", 2, -1, scalar},
	"json_get_int":            {"kdb_json_get_int", 2, -1, scalar},
	"json_get_float":          {"kdb_json_get_float", 2, -1, scalar},
	"json_get_bool":           {"kdb_json_get_bool", 2, -1, scalar},
	"json_get_json":           {"kdb_json_get_json", 2, -1, scalar},
	"json_contains":           {"kdb_json_contains", 2, -1, scalar},
	"json_length":             {"kdb_json_length", 1, -1, scalar},
	"json_object_keys":        {"kdb_json_object_keys", 1, -1, scalar},
	"json_extract_path":       {"kdb_json_extract_path", 2, -1, scalar},
	"jsonb_extract_path":      {"kdb_json_extract_path", 2, -1, scalar},
	"json_extract_path_text":  {"kdb_json_extract_path_text", 2, -1, scalar},
	"jsonb_extract_path_text": {"kdb_json_extract_path_text", 2, -1, scalar},
	"json_typeof":             {"kdb_json_typeof", 1, 1, scalar},
	"jsonb_typeof":            {"kdb_json_typeof", 1, 1, scalar},
	"json_array_length":       {"kdb_json_array_length", 1, 1, scalar},
	"jsonb_array_length":      {"kdb_json_array_length", 1, 1, scalar},
	"json_build_object":       {"kdb_json_build_object", 0, -1, scalar},
	"jsonb_build_object":      {"kdb_json_build_object", 0, -1, scalar},
	"json_build_array":        {"kdb_json_build_array", 0, -1, scalar},
	"jsonb_build_array":       {"kdb_json_build_array", 0, -1, scalar},
	"to_json":                 {"kdb_to_json", 1, 1, scalar},
	"to_jsonb":                {"kdb_to_json", 1, 1, scalar},

	// Aggregates.
	"count":       {"count", 1, 1, engineAgg},
	"min":         {"min", 1, 1, engineAgg},
	"max":         {"max", 1, 1, engineAgg},
	"sum":         {"sum", 1, 1, aggregate},
	"avg":         {"avg", 1, 1, aggregate},
	"string_agg":  {"string_agg", 2, 2, aggregate},
	"array_agg":   {"array_agg", 1, 1, aggregate},
	"json_agg":    {"array_agg", 1, 1, aggregate},
	"jsonb_agg":   {"array_agg", 1, 1, aggregate},
	"bool_and":    {"bool_and", 1, 1, aggregate},
	"bool_or":     {"bool_or", 1, 1, aggregate},
	"every":       {"bool_and", 1, 1, aggregate},
	"stddev":      {"stddev_samp", 1, 1, aggregate},
	"stddev_samp": {"stddev_samp", 1, 1, aggregate},
	"stddev_pop":  {"stddev_pop", 1, 1, aggregate},
	"variance":    {"var_samp", 1, 1, aggregate},
	"var_samp":    {"var_samp", 1, 1, aggregate},
	"var_pop":     {"var_pop", 1, 1, aggregate},

	// Window functions.
	"row_number":   {"row_number", 0, 0, window},
	"rank":         {"rank", 0, 0, window},
	"dense_rank":   {"dense_rank", 0, 0, window},
	"percent_rank": {"percent_rank", 0, 0, window},
	"ntile":        {"ntile", 1, 1, window},
	"lag":          {"lag", 1, 3, window},
	"lead":         {"lead", 1, 3, window},
	"first_value":  {"first_value", 1, 1, window},
	"last_value":   {"last_value", 1, 1, window},
	"nth_value":    {"nth_value", 2, 2, window},
}

// refusedFunctions are engine functions a user might reach for that
// KalamDB refuses with a reason, rather than "unknown function".
var refusedFunctions = map[string]string{
	"load_file": "statements may not read files on the server",
	"sleep":     "statements may not pause the server",
	"pg_sleep":  "statements may not pause the server",
	"benchmark": "statements may not pause the server",
	"get_lock":  "locks do not outlive a statement",
}
