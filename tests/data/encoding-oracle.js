// encoding-oracle.js: Node's answers for libnetcore's encodings (encoding.c,
// string_decoder.c). Two modes:
//   node encoding-oracle.js cases > encoding-cases.json   the data of tests/unit/test_encoding.c
//   node encoding-oracle.js random SEED COUNT              JSON lines for test_encoding_diff.c
// C text is UTF-8 bytes; every byte string here travels as hex.
'use strict';
const { StringDecoder } = require('string_decoder');

const ENCODINGS = ['utf8', 'utf16le', 'latin1', 'ascii', 'hex', 'base64', 'base64url'];

// Buffer.from(string, enc) for a C string: Node sees the JS string that toString('utf8')
// makes of the bytes.
function encode(enc, bytes) {
    return Buffer.from(Buffer.from(bytes).toString('utf8'), enc).toString('hex');
}

// StringDecoder over chunks, each string turned into the UTF-8 a C caller gets. The one
// difference libnetcore makes: a lone high surrogate ending a write's string is carried to
// the next write's string (UTF-8 cannot hold half a character); Buffer.from(s, 'utf8')
// makes every surrogate still unpaired U+FFFD.
function decode(enc, chunks) {
    const d = new StringDecoder(enc);
    const strings = chunks.map((c) => d.write(c));
    strings.push(d.end());
    const texts = [];
    let carry = '';
    strings.forEach((str, i) => {
        let s = carry + str;
        carry = '';
        const last = s.charCodeAt(s.length - 1);
        if (i < strings.length - 1 && last >= 0xd800 && last <= 0xdbff) {
            carry = s.slice(-1);
            s = s.slice(0, -1);
        }
        texts.push(Buffer.from(s, 'utf8').toString('hex'));
    });
    return { out: texts.slice(0, -1), end: texts[texts.length - 1] };
}

function decodeCase(enc, chunks) {
    const r = decode(enc, chunks);
    return { encoding: enc, chunks: chunks.map((c) => c.toString('hex')), out: r.out, end: r.end };
}

function split(bytes, sizes) {
    const chunks = [];
    for (let i = 0, k = 0; i < bytes.length; k++) {
        const n = sizes[k % sizes.length];
        chunks.push(bytes.subarray(i, i + n));
        i += n;
    }
    return chunks;
}

const NAMES = ['utf8', 'utf-8', 'UTF8', 'UTF-8', 'Utf-8', 'ucs2', 'UCS2', 'ucs-2', 'UCS-2',
    'utf16le', 'UTF16LE', 'utf-16le', 'UTF-16LE', 'latin1', 'LATIN1', 'binary', 'BINARY',
    'Binary', 'ascii', 'ASCII', 'AsCiI', 'hex', 'HEX', 'Hex', 'base64', 'BASE64', 'Base64',
    'base64url', 'BASE64URL', 'Base64Url', '', 'buffer', 'utf16', 'utf-16', 'latin-1',
    'utf8 ', ' utf8', 'utf8\u0000', 'ucs', 'base64-url', 'url', 'u', 'binary\u0000x',
    '\u212aascii', 'ut\u00f08'];

function nameCase(name) {
    try {
        // What setEncoding() accepts and what it reports back (readableEncoding).
        return { name, encoding: new StringDecoder(name).encoding };
    } catch (e) {
        return { name, code: e.code, message: e.message };
    }
}

// C strings for Buffer.from(): text, then byte strings that are not UTF-8, then inputs
// that exercise hex's and base64's leniency (including code units whose low byte is an
// ASCII digit, letter or '=').
const ENCODE_TEXT = ['', 'hello', 'h\u00e9llo w\u00f6rld', '\u20ac', '\u{1f600}', 'a\u0000b',
    '\u00ff\u0100\u07ff\u0800\uffff\u{10000}\u{10ffff}', '\u0141\u0142\u0130',
    '0123456789abcdefABCDEF', '4x41', '414', '41 42', '0g', 'QUJD', 'QU JD\n', 'QQ==',
    'QQ=', 'QQ', 'Q', 'QQ==QUJD', 'QUJD=', 'QUJDRA', 'QUJDRA=', 'QUJDRA==', 'QUJDRA===',
    '=QUJD', '-_-_', '+/+/', 'QU!JD', '\u0151UJD', 'QU\u013dJD', 'QU\u{1f600}JD',
    'Q\tU\rJ\u000bD', 'QUJ\u0000D', 'QR==', '====', 'Q===', 'QQ=\u00e9', 'QQ\u00e9=',
    ' QUJD ', 'QUJDQUJDQUJDQUJD', '\u00e9\u00e9\u00e9\u00e9'];
const ENCODE_HEX = ['ff', 'c0 80', 'c1 bf', 'e0 80 80', 'e0 9f bf', 'ed a0 80', 'ed bf bf',
    'ed 9f bf', 'f0 9f 98', 'f0 8f bf bf', 'f4 90 80 80', 'f5 80 80 80', 'f8 88 80 80 80',
    'e2 82', 'e2 82 41', '80', '80 80 80', 'c3', 'c3 41', '41 e2 82 ac 80 42', 'fe ff',
    '51 55 e2 82 4a 44', '34 31 c0 34 32', 'e2 82 3d 3d', '51 51 3d ff'];

// Byte streams for StringDecoder, each decoded in every encoding and chunking.
const STREAMS = [
    Buffer.from('a\u00e9\u20ac\u{1f600}z', 'utf8'),
    Buffer.from('\u20ac\u20ac\u{1f600}\u{1f600}', 'utf8'),
    Buffer.from('e28241', 'hex'), Buffer.from('f09f98', 'hex'), Buffer.from('c080', 'hex'),
    Buffer.from('e08080', 'hex'), Buffer.from('eda080edb080', 'hex'),
    Buffer.from('f4908080', 'hex'), Buffer.from('fffe', 'hex'), Buffer.from('8080808080', 'hex'),
    Buffer.from('f5808080', 'hex'), Buffer.from('f888808080', 'hex'),
    Buffer.from('e282ac80', 'hex'), Buffer.from('c3', 'hex'), Buffer.from('41e282', 'hex'),
    Buffer.from('e0804141', 'hex'), Buffer.from('f0c3a9', 'hex'), Buffer.from('c3c3a9', 'hex'),
    Buffer.from('a\u00e9\u20ac\u{1f600}z', 'utf16le'),
    Buffer.from('3dd841003dd8', 'hex'), Buffer.from('00dc3dd83dd800de', 'hex'),
    Buffer.from('3dd800', 'hex'), Buffer.from('410042', 'hex'),
    Buffer.from('00017f80c0ff', 'hex'), Buffer.from('', 'hex'),
    Buffer.from('0102030405060708', 'hex'), Buffer.from('fbff', 'hex'),
];
const CHUNKINGS = [null, [1], [2, 3, 1], [3, 1]];

function cases() {
    const encodeCases = [];
    for (const s of ENCODE_TEXT) {
        encodeCases.push(Buffer.from(s, 'utf8'));
    }
    for (const h of ENCODE_HEX) {
        encodeCases.push(Buffer.from(h.replace(/ /g, ''), 'hex'));
    }
    const decodeCases = [];
    for (const bytes of STREAMS) {
        for (const enc of ENCODINGS) {
            for (const sizes of CHUNKINGS) {
                const chunks = sizes === null ? [bytes] : split(bytes, sizes);
                decodeCases.push(decodeCase(enc, chunks));
            }
        }
    }
    return {
        node: process.version,
        names: NAMES.map(nameCase),
        encode: encodeCases.map((b) => {
            const out = {};
            for (const enc of ENCODINGS) {
                out[enc] = encode(enc, b);
            }
            return { in: b.toString('hex'), out };
        }),
        decode: decodeCases,
    };
}

// mulberry32: a small seeded generator, so that a failing seed can be replayed.
function rng(seed) {
    let a = seed >>> 0;
    return (n) => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return (((t ^ (t >>> 14)) >>> 0) % n);
    };
}

// Random bytes biased towards what decoders trip on: lead and continuation bytes,
// surrogate halves, whole characters, base64 and hex text, padding, whitespace.
const PIECES = ['c3', 'e2', 'e282', 'f0', 'f09f', 'f09f98', '80', 'bf', 'a0', 'ed', 'c0',
    'f4', 'f5', 'ff', 'd8', 'dc', '3dd8', '00dc', '3d', '00', '0a', '20', '41', '2b', '2f',
    '2d', '5f', '67', 'c581', 'c4bd', 'f09f9880', 'e282ac', 'c3a9'].map((h) => Buffer.from(h, 'hex'));
const ALPHABET = Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_=');

function randomBytes(r, max) {
    const n = r(max + 1);
    const parts = [];
    let len = 0;
    while (len < n) {
        const kind = r(4);
        let b;
        if (kind === 0) {
            b = PIECES[r(PIECES.length)];
        } else if (kind === 1) {
            b = Buffer.from([r(256)]);
        } else {
            b = Buffer.from([ALPHABET[r(ALPHABET.length)]]);
        }
        parts.push(b);
        len += b.length;
    }
    return Buffer.concat(parts);
}

function randomChunks(r, bytes) {
    const chunks = [];
    for (let i = 0; i < bytes.length;) {
        // Mostly short chunks, so that most characters are split; now and then an
        // empty write, which Node's decoder also takes.
        const n = r(8) === 0 ? 0 : 1 + r(r(2) === 0 ? 4 : 16);
        chunks.push(bytes.subarray(i, i + n));
        i += n;
    }
    return chunks;
}

function random(seed, count) {
    const r = rng(seed);
    const lines = [];
    for (let i = 0; i < count; i++) {
        const enc = ENCODINGS[r(ENCODINGS.length)];
        if (r(2) === 0) {
            const bytes = randomBytes(r, 40);
            lines.push(JSON.stringify({ op: 'encode', encoding: enc, in: bytes.toString('hex'),
                out: encode(enc, bytes) }));
        } else {
            const c = decodeCase(enc, randomChunks(r, randomBytes(r, 60)));
            lines.push(JSON.stringify(Object.assign({ op: 'decode' }, c)));
        }
    }
    process.stdout.write(lines.join('\n') + '\n');
}

const mode = process.argv[2];
if (mode === 'cases') {
    // One case per line: reviewable diffs when Node's answers change.
    const c = cases();
    const list = (a) => '[\n' + a.map((x) => '  ' + JSON.stringify(x)).join(',\n') + '\n ]';
    process.stdout.write(`{\n "node": ${JSON.stringify(c.node)},\n "names": ${list(c.names)},\n` +
        ` "encode": ${list(c.encode)},\n "decode": ${list(c.decode)}\n}\n`);
} else if (mode === 'random') {
    random(Number(process.argv[3]), Number(process.argv[4]));
} else {
    process.stderr.write('usage: encoding-oracle.js cases | random SEED COUNT\n');
    process.exit(2);
}
