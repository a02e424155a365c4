#!/usr/bin/env Rscript
# Reference outputs of surveillance::farringtonFlexible for vrkit's early-warning test.
#
# What it does
#   Reads the MPS historical borough file (violence with injury, homicide and aggravated
#   vehicle taking; every area except "Unknown") from the shared data, runs
#   farringtonFlexible one area and month at a time with the settings vrkit's
#   detect_exceedances(method="surveillance") maps its parameters to, and writes surveillance's
#   outputs (expected, upper bound, trend decision, alarm, dispersion, p-value) with their keys
#   and the R and package versions to a JSON fixture. The fixture never holds observed counts:
#   the test reads them from VRKIT_DATA_DIR and checks the file's sha256 recorded here.
#
# Run it by hand when the fixture needs refreshing; `make test` never runs it and needs no R.
#   apt-get install -y --no-install-recommends r-base-core r-cran-surveillance
#       # Debian bookworm: R 4.2.2, surveillance 1.20.3
#   VRKIT_DATA_DIR=/work/shared/data Rscript scripts/farrington_reference.R \
#       tests/analysis/data/surveillance_farrington.json        # the fixture (~2 min)
#   VRKIT_DATA_DIR=/work/shared/data Rscript scripts/farrington_reference.R --all \
#       /tmp/surveillance_all.json     # all areas × 2017-2019, every case (~1 h, busy machine)
# Then `pytest tests/analysis/test_early_warning_reference.py` (the full file can be checked
# with `SURVEILLANCE_FIXTURE=/tmp/surveillance_all.json pytest ...`).
#
# Cases (each row's keys: case, area, month; the "cases" table in the fixture gives each
# case's settings):
#   "nbPlugin"        violence with injury, thresholdMethod nbPlugin, sts built with
#                     start/frequency (month index as time): the settings of issue #19,
#                     2017-01…2019-12
#   "muan", "delta"   the other threshold methods (their upper bounds use se(eta0), so they
#                     check surveillance's dispersion after the weights swap), 2019-01…06
#   "nbPlugin_dates"  sts with epochAsDate = TRUE (time in days), 2019-01…06
#   "gaps"            2014 missing (NA) in two areas and everything before 2015 in one
#                     (b = 5 but < 3 years of data), 2017-01…06 and 2019-01…06
#   "homicide"        homicide (about 0.3 a month: zeros, tiny expected counts), 2019
#   "vehicle_limit54" aggravated vehicle taking (about 2 a month) with limit54 = c(5, 4),
#                     surveillance's default, 2019
# Where farringtonFlexible stops with an error the row has "error" (the message) and no
# outputs; NA outputs are null.
suppressPackageStartupMessages(library(surveillance))

args <- commandArgs(trailingOnly = TRUE)
all_mode <- "--all" %in% args
args <- setdiff(args, "--all")
if (length(args) != 1) stop("usage: Rscript scripts/farrington_reference.R [--all] OUT.json")
out_path <- args[1]

data_dir <- Sys.getenv("VRKIT_DATA_DIR", "../shared/data")
rel_path <- "mps_crime_borough/2010-04_to_2023-09_historical/MPS Borough Level Crime (Historical).csv"
path <- file.path(data_dir, rel_path)
if (!file.exists(path)) stop("shared data not found: ", path, " (set VRKIT_DATA_DIR)")
sha256 <- strsplit(system2("sha256sum", shQuote(path), stdout = TRUE), " ")[[1]][1]

raw <- read.csv(path, check.names = FALSE, stringsAsFactors = FALSE)
month_cols <- grep("^[0-9]{6}$", names(raw), value = TRUE)
dates <- as.Date(paste0(month_cols, "01"), "%Y%m%d")

# monthly counts of one MPS minor category, one column per area ("Unknown" is not an area)
series <- function(minor) {
  v <- raw[raw$MinorText == minor & raw$BoroughName != "Unknown", ]
  obs <- t(as.matrix(v[, month_cols]))
  storage.mode(obs) <- "double"
  colnames(obs) <- v$BoroughName
  obs
}

# the handful of areas in the fixture: boroughs with surveillance alarms (Westminster 2019-08,
# Bexley 2017-06), boroughs where surveillance keeps a trend that vrkit's default drops and
# vrkit alerts (Tower Hamlets 2019-03, Redbridge 2019-05, Croydon 2019-07, Bromley 2019-11;
# issue #19), Lambeth, and the airports (all zero: the GLM's expected count is ~1e-12)
fixture_areas <- c(
  "Westminster", "Bexley", "Tower Hamlets", "Redbridge", "Croydon", "Bromley", "Lambeth",
  "London Heathrow and London City Airports"
)
span <- function(from, to) which(dates >= as.Date(from) & dates <= as.Date(to))
months_main <- span("2017-01-01", "2019-12-01")
months_some <- if (all_mode) months_main else span("2019-01-01", "2019-06-01")
months_2019 <- if (all_mode) months_main else span("2019-01-01", "2019-12-01")
months_gaps <- if (all_mode) months_main else c(span("2017-01-01", "2017-06-01"), months_some)
gap_areas <- c("Lambeth", "Croydon")  # 2014 set to NA
start_area <- "Bexley"  # everything before 2015 set to NA

# case -> minor category, thresholdMethod, epochAsDate, limit54, missing months, months
cases <- list(
  nbPlugin = list("VIOLENCE WITH INJURY", "nbPlugin", FALSE, c(0, 4), FALSE, months_main),
  muan = list("VIOLENCE WITH INJURY", "muan", FALSE, c(0, 4), FALSE, months_some),
  delta = list("VIOLENCE WITH INJURY", "delta", FALSE, c(0, 4), FALSE, months_some),
  nbPlugin_dates = list("VIOLENCE WITH INJURY", "nbPlugin", TRUE, c(0, 4), FALSE, months_some),
  gaps = list("VIOLENCE WITH INJURY", "nbPlugin", FALSE, c(0, 4), TRUE, months_gaps),
  homicide = list("HOMICIDE", "nbPlugin", FALSE, c(0, 4), FALSE, months_2019),
  vehicle_limit54 = list("AGGRAVATED VEHICLE TAKING", "nbPlugin", FALSE, c(5, 4), FALSE,
                         months_2019)
)

control <- function(method, range, limit54) {
  list(range = range, b = 5, w = 1, noPeriods = 10, pastWeeksNotIncluded = 6,
       weightsThreshold = 2.58, pThresholdTrend = 0.05, thresholdMethod = method,
       alpha = 0.01, limit54 = limit54, reweight = TRUE, trend = TRUE, powertrans = "2/3",
       glmWarnings = FALSE)
}

# one area and one month at a time, so that where surveillance stops with an error (it does
# for some short series) the error is recorded for that area-month and the rest still runs
run <- function(case, obs, method, range, as_dates, limit54) {
  rows <- list()
  for (j in seq_len(ncol(obs))) {
    s <- if (as_dates) {
      sts(observed = obs[, j, drop = FALSE], epoch = dates, frequency = 12, epochAsDate = TRUE)
    } else {
      sts(observed = obs[, j, drop = FALSE], start = c(2010, 4), frequency = 12)
    }
    for (k in range) {
      row <- list(case = case, area = colnames(obs)[j], month = format(dates[k], "%Y-%m"),
                  expected = NA, upperbound = NA, trend = 0L, alarm = 0L, phi = NA,
                  pvalue = NA, error = NA)
      r <- tryCatch(farringtonFlexible(s, control = control(method, k, limit54)),
                    error = function(e) conditionMessage(e))
      if (is.character(r)) {
        row$error <- r
      } else {
        ctl <- r@control
        row$expected <- ctl$expected[1, 1]
        row$upperbound <- upperbound(r)[1, 1]
        row$trend <- as.integer(ctl$trend[1, 1])
        row$alarm <- as.integer(alarms(r)[1, 1])
        row$phi <- ctl$phiVector[1, 1]
        row$pvalue <- ctl$pvalue[1, 1]
      }
      rows[[length(rows) + 1]] <- row
    }
  }
  rows
}

rows <- list()
for (case in names(cases)) {
  cc <- cases[[case]]
  obs <- series(cc[[1]])
  areas <- if (all_mode) colnames(obs) else intersect(fixture_areas, colnames(obs))
  if (cc[[5]]) {
    areas <- intersect(c(gap_areas, start_area), areas)
    obs[format(dates, "%Y") == "2014", intersect(gap_areas, areas)] <- NA
    obs[dates < as.Date("2015-01-01"), intersect(start_area, areas)] <- NA
  }
  rows <- c(rows, run(case, obs[, areas, drop = FALSE], cc[[2]], cc[[6]], cc[[3]], cc[[4]]))
}

num <- function(x) if (is.na(x)) "null" else sprintf("%.17g", x)
str <- function(x) sprintf("\"%s\"", gsub("\n", " ", gsub("\"", "\\\\\"", trimws(x))))
row_json <- function(r) {
  sprintf(
    paste0("{\"case\": %s, \"area\": %s, \"month\": %s, \"expected\": %s, ",
           "\"upperbound\": %s, \"trend\": %d, \"alarm\": %d, \"phi\": %s, \"pvalue\": %s, ",
           "\"error\": %s}"),
    str(r$case), str(r$area), str(r$month), num(r$expected), num(r$upperbound),
    r$trend, r$alarm, num(r$phi), num(r$pvalue), if (is.na(r$error)) "null" else str(r$error)
  )
}
deb <- tryCatch(
  system2("dpkg-query", c("-W", "-f='${Version}'", "r-cran-surveillance"), stdout = TRUE),
  error = function(e) "unknown"
)
header <- c(
  "{",
  sprintf("  \"generator\": %s,", str("scripts/farrington_reference.R")),
  sprintf("  \"generated\": %s,", str(format(Sys.Date()))),
  sprintf("  \"r_version\": %s,", str(R.version.string)),
  sprintf("  \"surveillance_version\": %s,", str(as.character(packageVersion("surveillance")))),
  sprintf("  \"debian_package\": %s,", str(paste("r-cran-surveillance", gsub("'", "", deb)))),
  sprintf("  \"data_file\": %s,", str(rel_path)),
  sprintf("  \"data_sha256\": %s,", str(sha256)),
  sprintf("  \"areas\": %s,", str("BoroughName (every area but 'Unknown')")),
  sprintf("  \"gaps\": {\"na_2014\": [%s], \"na_before_2015\": [%s]},",
          paste(str(gap_areas), collapse = ", "), str(start_area)),
  sprintf("  \"control\": %s,", str(paste(
    "b=5, w=1, noPeriods=10, pastWeeksNotIncluded=6, weightsThreshold=2.58,",
    "pThresholdTrend=0.05, alpha=0.01, reweight=TRUE, trend=TRUE, powertrans='2/3';",
    "thresholdMethod, limit54 and the sts per case"))),
  "  \"cases\": {",
  paste0(vapply(names(cases), function(n) {
    cc <- cases[[n]]
    sprintf(paste0("    %s: {\"minor\": %s, \"thresholdMethod\": %s, \"epochAsDate\": %s, ",
                   "\"limit54\": [%d, %d], \"gaps\": %s}"),
            str(n), str(cc[[1]]), str(cc[[2]]), tolower(cc[[3]]), cc[[4]][1], cc[[4]][2],
            tolower(cc[[5]]))
  }, character(1)), c(rep(",", length(cases) - 1), "")),
  "  },",
  "  \"rows\": ["
)
body <- vapply(rows, row_json, character(1))
body <- paste0("    ", body, c(rep(",", length(body) - 1), ""))
writeLines(c(header, body, "  ]", "}"), out_path)
cat(sprintf("wrote %d rows to %s\n", length(rows), out_path))
