/* markings.c -- the table of foreign and international classification
 * markings (markings.h): one row per marking with the level it counts as,
 * the words around markings, and one row per false friend. Levels follow
 * each state's order: the highest of three is TUYỆT MẬT, the middle TỐI
 * MẬT, the lowest MẬT; a fourth, "restricted" level (NATO RESTRICTED,
 * RESTREINT UE) counts as MẬT, the lowest level refused. */
#include "workflows/classify/markings.h"
#include "util/common.h"

#define TOP CH_STAMP_TOP_SECRET
#define SEC CH_STAMP_SECRET
#define CONF CH_STAMP_CONFIDENTIAL
#define WORD CH_MARKING_WORD

const ch_marking ch_markings[] = {
	/* English (United States, United Kingdom, Commonwealth) */
	{ "en", "TOP SECRET", TOP, 0 },
	{ "en", "SECRET", SEC, WORD },
	{ "en", "CONFIDENTIAL", CONF, WORD },
	/* French (IGI 1300: before and after the 2021 reform) */
	{ "fr", "TRÈS SECRET DÉFENSE", TOP, 0 },
	{ "fr", "TRÈS SECRET", TOP, 0 },
	{ "fr", "SECRET DÉFENSE", SEC, 0 },
	{ "fr", "SECRET", SEC, WORD },
	{ "fr", "CONFIDENTIEL DÉFENSE", CONF, 0 },
	{ "fr", "CONFIDENTIEL", CONF, WORD },
	/* Russian (Law on State Secrets, art. 8) */
	{ "ru", "ОСОБОЙ ВАЖНОСТИ", TOP, 0 },
	{ "ru", "СОВЕРШЕННО СЕКРЕТНО", SEC, 0 },
	{ "ru", "СЕКРЕТНО", CONF, WORD },
	/* Chinese (Law on Guarding State Secrets), simplified and traditional */
	{ "zh", "绝密", TOP, 0 },
	{ "zh", "机密", SEC, WORD },
	{ "zh", "秘密", CONF, WORD },
	{ "zh", "絕密", TOP, 0 },
	{ "zh", "絕對機密", TOP, 0 },
	{ "zh", "極機密", SEC, 0 },
	/* Japanese (government and Ministry of Defense) */
	{ "ja", "特定秘密", TOP, 0 },
	{ "ja", "機密", TOP, WORD },
	{ "ja", "極秘", SEC, WORD },
	{ "ja", "秘", CONF, WORD },
	/* German, Spanish, Italian (national levels, also used with UE) */
	{ "de", "STRENG GEHEIM", TOP, 0 },
	{ "de", "GEHEIM", SEC, WORD },
	{ "de", "VS-VERTRAULICH", CONF, 0 },
	{ "es", "SECRETO", TOP, WORD },
	{ "es", "RESERVADO", SEC, WORD },
	{ "es", "CONFIDENCIAL", CONF, WORD },
	{ "it", "SEGRETISSIMO", TOP, 0 },
	{ "it", "SEGRETO", SEC, WORD },
	{ "it", "RISERVATISSIMO", CONF, 0 },
	/* NATO (C-M(2002)49), in English and French */
	{ "nato", "COSMIC TOP SECRET", TOP, 0 },
	{ "nato", "COSMIC TRÈS SECRET", TOP, 0 },
	{ "nato", "NATO SECRET", SEC, 0 },
	{ "nato", "NATO CONFIDENTIAL", CONF, 0 },
	{ "nato", "NATO CONFIDENTIEL", CONF, 0 },
	{ "nato", "NATO RESTRICTED", CONF, 0 },
	{ "nato", "NATO DIFFUSION RESTREINTE", CONF, 0 },
	/* European Union (Council Decision 2013/488/EU), in its languages */
	{ "eu", "EU TOP SECRET", TOP, 0 },
	{ "eu", "EU SECRET", SEC, 0 },
	{ "eu", "EU CONFIDENTIAL", CONF, 0 },
	{ "eu", "EU RESTRICTED", CONF, 0 },
	{ "eu", "TRÈS SECRET UE", TOP, 0 },
	{ "eu", "SECRET UE", SEC, 0 },
	{ "eu", "CONFIDENTIEL UE", CONF, 0 },
	{ "eu", "RESTREINT UE", CONF, 0 },
	{ "eu", "STRENG GEHEIM UE", TOP, 0 },
	{ "eu", "GEHEIM UE", SEC, 0 },
	{ "eu", "VERTRAULICH UE", CONF, 0 },
	{ "eu", "SECRETO UE", TOP, 0 },
	{ "eu", "RESERVADO UE", SEC, 0 },
	{ "eu", "CONFIDENCIAL UE", CONF, 0 },
	{ "eu", "SEGRETISSIMO UE", TOP, 0 },
	{ "eu", "SEGRETO UE", SEC, 0 },
	{ "eu", "RISERVATISSIMO UE", CONF, 0 },
};
const size_t ch_markings_len = CH_ARRAY_SIZE(ch_markings);

/* Field labels: a marking right after one is the value of a marking field. */
const ch_marking_word ch_marking_labels[] = {
	{ "en", "CLASSIFICATION" }, { "en", "SECURITY CLASSIFICATION" },
	{ "en", "CLASSIFICATION LEVEL" }, { "en", "PROTECTIVE MARKING" },
	{ "fr", "NIVEAU DE CLASSIFICATION" }, { "fr", "CLASSIFICATION" },
	{ "fr", "MENTION DE PROTECTION" },
	{ "ru", "ГРИФ" }, { "ru", "ГРИФ СЕКРЕТНОСТИ" }, { "ru", "СТЕПЕНЬ СЕКРЕТНОСТИ" },
	{ "zh", "密级" }, { "zh", "密級" }, { "ja", "秘密区分" }, { "ja", "秘区分" },
	{ "de", "EINSTUFUNG" }, { "de", "GEHEIMHALTUNGSGRAD" }, { "es", "CLASIFICACIÓN" },
	{ "it", "CLASSIFICA" }, { "it", "CLASSIFICAZIONE" },
};
const size_t ch_marking_labels_len = CH_ARRAY_SIZE(ch_marking_labels);

/* Caveats and releasability marks that follow a marking on its line. */
const ch_marking_word ch_marking_caveats[] = {
	{ "en", "NOFORN" }, { "en", "REL TO" }, { "en", "ORCON" }, { "en", "EYES ONLY" },
	{ "en", "NOCONTRACT" }, { "en", "PROPIN" }, { "en", "FVEY" }, { "en", "CODEWORD" },
	{ "en", "UK EYES ONLY" }, { "fr", "SPÉCIAL FRANCE" }, { "fr", "DIFFUSION RESTREINTE" },
	{ "nato", "ATOMAL" }, { "nato", "BOHEMIA" }, { "nato", "BALK" },
	{ "eu", "UE" }, { "eu", "EU" },
	{ "ru", "ОСОБАЯ ПАПКА" }, { "ru", "ЛИЧНО" },
};
const size_t ch_marking_caveats_len = CH_ARRAY_SIZE(ch_marking_caveats);

/* Copy-number words: a marking followed by one and a number is a stamp. */
const ch_marking_word ch_marking_copies[] = {
	{ "en", "COPY NO" }, { "en", "COPY" }, { "en", "NO" }, { "fr", "EXEMPLAIRE N" },
	{ "fr", "EXEMPLAIRE" }, { "fr", "EX" }, { "ru", "ЭКЗЕМПЛЯР" }, { "ru", "ЭКЗ" },
	{ "de", "AUSFERTIGUNG" }, { "es", "EJEMPLAR" }, { "it", "COPIA" },
};
const size_t ch_marking_copies_len = CH_ARRAY_SIZE(ch_marking_copies);

#define B CH_STAMP_IN_BODY
#define T CH_STAMP_IN_TITLE
#define F CH_STAMP_IN_FILENAME

const ch_false_friend ch_false_friends[] = {
	/* English */
	{ "en", "Secretary of State", T, "a title of office" },
	{ "en", "SECRETARY-GENERAL\nUNITED NATIONS", B, "a title of office in capitals" },
	{ "en", "Report of the Secretary-General on the work of the Organization", T, "title" },
	{ "en", "Secretariat", B, "an office" },
	{ "en", "This letter is confidential and intended for the addressee only.", B, "prose" },
	{ "en", "Please keep the attached figures confidential until the press release.", B,
	  "prose" },
	{ "en", "The secret of the negotiation was patience.", B, "prose" },
	{ "en", "UNCLASSIFIED", B, "an unclassified banner" },
	{ "en", "UNCLASSIFIED//FOR OFFICIAL USE ONLY\nMemorandum on visas", B,
	  "an unclassified banner with a caveat" },
	{ "en", "Marking guide\nDocuments are marked TOP SECRET, SECRET or CONFIDENTIAL according "
	        "to the damage their disclosure would cause; a guide explains each level.", B,
	  "a guide that explains the marking rules" },
	{ "en", "Classification levels: TOP SECRET, SECRET and CONFIDENTIAL are defined in the "
	        "order.", B, "a guide naming the levels after a label-like word" },
	{ "en", "Top Secret!", B, "the title of a film, as a line" },
	{ "en", "Review: \"Top Secret America\" by Dana Priest", T, "the title of a book" },
	{ "en", "The Secret Garden", B, "the title of a novel" },
	{ "en", "secretary_notes.docx", F, "a file name" },
	{ "en", "secrets.yaml", F, "a file name" },
	{ "en", "confidentiality-policy.pdf", F, "a file name" },
	/* French */
	{ "fr", "secrétaire général", B, "a title of office" },
	{ "fr", "Secrétariat général de la défense et de la sécurité nationale", T, "an office" },
	{ "fr", "Le Secret de la Licorne", B, "the title of a comic book" },
	{ "fr", "Ces informations sont confidentielles et réservées au destinataire.", B, "prose" },
	{ "fr", "Le secret défense est encadré par le code pénal.", B, "prose about the law" },
	{ "fr", "Les mentions TRÈS SECRET et SECRET sont définies par l'IGI 1300.", B,
	  "a guide that explains the marking rules" },
	/* Russian */
	{ "ru", "секретарь", B, "secretary" },
	{ "ru", "Генеральный секретарь ООН", T, "a title of office" },
	{ "ru", "Совершенно секретно", B, "the title of a newspaper, as a line" },
	{ "ru", "Газета «Совершенно секретно» вышла в 1989 году.", B, "a title in prose" },
	{ "ru", "Гриф секретности присваивается в соответствии с законом.", B,
	  "a guide that explains the marking rules" },
	{ "ru", "секретное совещание было отложено", B, "prose" },
	/* Chinese */
	{ "zh", "秘书长", B, "secretary-general" },
	{ "zh", "联合国秘书长的报告", T, "a title" },
	{ "zh", "秘密花园", B, "the title of a novel" },
	{ "zh", "这是一个秘密。", B, "prose: this is a secret" },
	{ "zh", "商业机密保护指南", T, "a guide on trade secrets" },
	{ "zh", "国家秘密的密级分为绝密、机密、秘密三级。", B,
	  "a guide that explains the marking rules" },
	{ "zh", "秘书处.docx", F, "a file name: the secretariat" },
	/* Japanese */
	{ "ja", "秘書", B, "secretary" },
	{ "ja", "秘密保持契約書", T, "a non-disclosure agreement" },
	{ "ja", "国連事務総長の秘書官", B, "prose" },
	{ "ja", "極秘プロジェクトを描いた映画の感想", T, "a review of a film" },
	/* German, Spanish, Italian */
	{ "de", "Staatssekretär", B, "a title of office" },
	{ "de", "Das Geheimnis der Mumie", B, "the title of a book" },
	{ "de", "Die Unterlagen sind geheim zu halten.", B, "prose" },
	{ "es", "Secretario General", B, "a title of office" },
	{ "es", "El secreto de sus ojos", B, "the title of a film" },
	{ "es", "Mesa reservada para la delegación", B, "prose" },
	{ "it", "Segretario generale", B, "a title of office" },
	{ "it", "Il segreto del bosco vecchio", B, "the title of a novel" },
	/* NATO, EU */
	{ "nato", "NATO Secretary General", T, "a title of office" },
	{ "nato", "NATO SECRETARY GENERAL", B, "a title of office in capitals" },
	{ "eu", "General Secretariat of the Council of the EU", T, "an office" },
	{ "eu", "EU SECRETARIAT", B, "an office in capitals" },
	{ "eu", "Secrétariat général du Conseil de l'UE", B, "an office" },
};
const size_t ch_false_friends_len = CH_ARRAY_SIZE(ch_false_friends);
