// SPDX-License-Identifier: GPL-2.0
/*
 * Country codes and the built-in zones.
 *
 * Country codes: the 249 officially assigned ISO 3166-1 alpha-2 codes (ISO
 * 3166 Maintenance Agency, as of 2024-01-01; the last change was SZ for
 * Eswatini in 2018), plus XK, the user-assigned code for Kosovo that the
 * European Commission, libloc and MaxMind use. A fixed table, not the data's
 * country list, so rules validate the same whatever source is loaded.
 */
#include <ctype.h>
#include <pthread.h>
#include <string.h>

#include "internal.h"

static const char iso3166_alpha2[] =
	"AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ "
	"BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ "
	"CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ "
	"DE DJ DK DM DO DZ "
	"EC EE EG EH ER ES ET "
	"FI FJ FK FM FO FR "
	"GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY "
	"HK HM HN HR HT HU "
	"ID IE IL IM IN IO IQ IR IS IT "
	"JE JM JO JP "
	"KE KG KH KI KM KN KP KR KW KY KZ "
	"LA LB LC LI LK LR LS LT LU LV LY "
	"MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ "
	"NA NC NE NF NG NI NL NO NP NR NU NZ "
	"OM "
	"PA PE PF PG PH PK PL PM PN PR PS PT PW PY "
	"QA "
	"RE RO RS RU RW "
	"SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ "
	"TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ "
	"UA UG UM US UY UZ "
	"VA VC VE VG VI VN VU "
	"WF WS "
	"XK "
	"YE YT "
	"ZA ZM ZW";

/* Bit b of iso_bits[a]: code ('A' + a, 'A' + b) is assigned. Built once. */
static uint32_t iso_bits[26];
static pthread_once_t iso_once = PTHREAD_ONCE_INIT;

static void iso_bits_init(void)
{
	for (const char *p = iso3166_alpha2; p[0] && p[1]; p += p[2] ? 3 : 2)
		iso_bits[p[0] - 'A'] |= 1u << (p[1] - 'A');
}

/* Case-insensitive; exactly two letters. Called for every network loaded. */
bool sg_country_valid(const char *cc)
{
	int a, b;

	if (!cc || !isalpha((unsigned char)cc[0]) || !isalpha((unsigned char)cc[1]) || cc[2])
		return false;
	pthread_once(&iso_once, iso_bits_init);
	a = toupper((unsigned char)cc[0]) - 'A';
	b = toupper((unsigned char)cc[1]) - 'A';
	return iso_bits[a] & (1u << b);
}

/*
 * Built-in zones. Sources, checked on the date in as_of:
 *  eu: the 27 member states (Treaty on European Union, art. 52; the United
 *      Kingdom left on 2020-02-01, Croatia was the last to join on 2013-07-01).
 *      Greece is GR in ISO 3166 (the EU's own "EL" is not an ISO code).
 *  eea: the EU plus Iceland, Liechtenstein and Norway (EEA Agreement).
 *  five-eyes: the UKUSA Agreement parties: AU, CA, GB, NZ, US.
 *  fourteen-eyes: SIGINT Seniors Europe: the five eyes, DK, FR, NL, NO
 *      ("nine eyes") and BE, DE, ES, IT, SE.
 */
const struct sg_pol_builtin_zone sg_pol_builtin_zones[] = {
	{ "eu",
	  "at be bg hr cy cz dk ee fi fr de gr hu ie it lv lt lu mt nl pl pt ro sk si es se",
	  "2025-01-01" },
	{ "eea",
	  "at be bg hr cy cz dk ee fi fr de gr hu ie it lv lt lu mt nl pl pt ro sk si es se "
	  "is li no",
	  "2025-01-01" },
	{ "five-eyes", "au ca gb nz us", "2025-01-01" },
	{ "fourteen-eyes", "au ca gb nz us dk fr nl no be de es it se", "2025-01-01" },
};

const size_t sg_pol_nr_builtin_zones = SG_ARRAY_SIZE(sg_pol_builtin_zones);
