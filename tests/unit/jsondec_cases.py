#!/usr/bin/python3
# jsondec_cases.py: writes jsondec_cases.h, the malformed replies of test_jsondec.c with the
# status and the exact message the JSON decoder must give for each.
#
#   /usr/bin/python3 tests/unit/jsondec_cases.py > tests/unit/jsondec_cases.h
#
# Offsets are positions of markers in each body, worked out here rather than read from the
# decoder; the excerpt follows the documented rule (docs/jsondec.md): the at most 40 bytes
# before where the problem was found, printable ASCII as is and anything else '?', with
# "..." in front when earlier bytes exist.
def render(b):
    return ''.join(chr(c) if 0x20 <= c < 0x7f else '?' for c in b)

def near(body, upto):
    frm = max(0, upto - 40)
    return ('...' if frm > 0 else '') + render(body[frm:upto])

def clit(b):
    out, prev_hex = '"', False
    for c in b:
        ch = chr(c)
        if c < 0x20 or c >= 0x7f:
            out += '\\x%02x' % c
            prev_hex = True
            continue
        if prev_hex and ch in '0123456789abcdefABCDEF':
            out += '" "'
        prev_hex = False
        if ch in '"\\':
            out += '\\' + ch
        elif ch == '?':
            out += '\\?'  # no trigraphs
        else:
            out += ch
    return out + '"'

def cstr(s):
    return clit(s.encode())

S = b'{"ObsTime":"/Date(1611628142147+0000)/","EUValue":-0.2}'
P = b'{"TlmMnemonic":"SA_ZATTEST1","Data":['
cases = []

def add(name, body, kind, status, off, upto, what, mnem='SA_ZATTEST1'):
    msg = 'byte %d: %s near \'%s\'' % (off, what, near(body, upto))
    cases.append((name, body, mnem, kind, status, msg))

def at(body, sub, k=0, start=0):
    return body.index(sub, start) + k

# wrong kinds
b = b'{"Data":{}}'
add('data_object', b, 'NONE', 'DATA', 8, 9, 'Data is an object, expected an array or null')
b = b'{"Data":"x"}'
add('data_string', b, 'NONE', 'DATA', 8, 11, 'Data is a string, expected an array or null')
b = b'{"Data":true}'
add('data_true', b, 'NONE', 'DATA', 8, 12, 'Data is true, expected an array or null')
b = P + b'{"ObsTime":1611628142147,"EUValue":1}]}'
o = at(b, b'1611628142147')
add('obstime_number', b, 'NONE', 'DATA', o, o + 13, 'Data[0]: ObsTime is a number, expected a time string')
b = P + b'{"ObsTime":null,"EUValue":1}]}'
o = at(b, b'null')
add('obstime_null', b, 'NONE', 'DATA', o, o + 4, 'Data[0]: ObsTime is null, expected a time string')
b = P + S + b',{"ObsTime":"/Date(1611628142148)/","EUValue":null}]}'
o = at(b, b'null')
add('euvalue_null', b, 'NONE', 'DATA', o, o + 4, 'Data[1]: EUValue is null, expected a number or a string')
b = P + b'{"ObsTime":"/Date(1)/","EUValue":[1]}]}'
o = at(b, b'[1]')
add('euvalue_array', b, 'NONE', 'DATA', o, o + 1, 'Data[0]: EUValue is an array, expected a number or a string')
b = P + b'{"EUValue":{"v":1},"ObsTime":"/Date(1)/"}]}'
o = at(b, b'{"v"')
add('euvalue_object', b, 'REAL', 'DATA', o, o + 1, 'Data[0]: EUValue is an object, expected a number or a string')
b = P + b'{"ObsTime":"/Date(1)/","EUValue":false}]}'
o = at(b, b'false')
add('euvalue_false', b, 'NONE', 'DATA', o, o + 5, 'Data[0]: EUValue is false, expected a number or a string')
b = P + S + b',5]}'
o = at(b, b',5]') + 1
add('element_number', b, 'NONE', 'DATA', o, o + 1, 'Data[1] is a number, expected an object')
b = P + b'"x"]}'
o = at(b, b'"x"')
add('element_string', b, 'NONE', 'DATA', o, o + 3, 'Data[0] is a string, expected an object')
b = b'{"TlmMnemonic":5,"Data":null}'
add('tlm_number', b, 'NONE', 'DATA', 15, 16, 'TlmMnemonic is a number, expected a string')
b = b'{"Count":"5","Data":null}'
add('count_string', b, 'NONE', 'DATA', 9, 12, 'Count is a string, expected a whole number')
b = b'{"Count":-1,"Data":null}'
add('count_negative', b, 'NONE', 'DATA', 9, 11, 'Count is -1, expected a whole number')
b = b'{"Count":1.5,"Data":null}'
add('count_fraction', b, 'NONE', 'DATA', 9, 12, 'Count is 1.5, expected a whole number')
b = b'{"AllPoints":2,"Data":null}'
add('allpoints_2', b, 'NONE', 'DATA', 13, 14, 'AllPoints is 2, expected 0 or 1')
b = b'{"AllPoints":"1","Data":null}'
add('allpoints_string', b, 'NONE', 'DATA', 13, 16, 'AllPoints is a string, expected 0 or 1')
b = b'{}'
add('empty_object', b, 'NONE', 'DATA', 1, 2, 'the reply has no Data (not a path B or EDP data reply?)')
b = b'{"ReqSTime":[],"Data":null}'
add('reqstime_array', b, 'NONE', 'DATA', 12, 13, 'ReqSTime is an array, expected a time string')
b = b'{"Data":null,"ReqETime":"soon"}'
o = at(b, b'"soon"')
add('reqetime_bad', b, 'NONE', 'DATA', o, o + 6, "ReqETime 'soon' is not a time (expected /Date(milliseconds)/ or YYYY-MM-DDThh:mm:ss.fff)")
b = b'[]'
add('top_array', b, 'NONE', 'DATA', 0, 1, "expected '{' at the start of the reply (a JSON object), got '['")
b = b'\xef\xbb{}'
add('bom_cut', b, 'NONE', 'DATA', 2, 3, "expected a UTF-8 byte order mark (EF BB BF) or '{' at the start of the reply, got '{'")

# times
b = P + b'{"ObsTime":"/Dat(1)/","EUValue":1}]}'
o = at(b, b'"/Dat(')
add('msdate_prefix', b, 'NONE', 'DATA', o, o + 10, "Data[0]: ObsTime '/Dat(1)/' is not a time: expected /Date(milliseconds)/")
b = P + b'{"ObsTime":"/Date(abc)/","EUValue":1}]}'
o = at(b, b'"/Date(abc')
add('msdate_letters', b, 'NONE', 'DATA', o, o + 13, "Data[0]: ObsTime '/Date(abc)/' is not a time: expected 1 to 16 digits of milliseconds, then an optional +hhmm, in /Date(...)/")
b = P + b'{"ObsTime":"/Date(1611628142147+2500)/","EUValue":1}]}'
o = at(b, b'"/Date(')
add('msdate_zone', b, 'NONE', 'DATA', o, o + 28, "Data[0]: ObsTime '/Date(1611628142147+2500)/' is not a time: zone suffix '+2500' out of range (hours 00-23, minutes 00-59)")
b = P + b'{"ObsTime":"/Date(12345678901234567)/","EUValue":1}]}'
o = at(b, b'"/Date(')
add('msdate_17_digits', b, 'NONE', 'DATA', o, o + 27, "Data[0]: ObsTime '/Date(12345678901234567)/' is not a time: expected 1 to 16 digits of milliseconds, then an optional +hhmm, in /Date(...)/")
b = P + b'{"ObsTime":"/Date(9999999999999999)/","EUValue":1}]}'
o = at(b, b'"/Date(')
add('msdate_range', b, 'NONE', 'DATA', o, o + 26, "Data[0]: ObsTime '/Date(9999999999999999)/' is not a time: milliseconds out of range")
b = P + b'{"ObsTime":"2027-13-01T00:00:00","EUValue":1}]}'
o = at(b, b'"2027')
add('iso_month', b, 'NONE', 'DATA', o, o + 21, "Data[0]: ObsTime: invalid time '2027-13-01T00:00:00': month 13 out of range (1-12)")
b = P + b'{"ObsTime":"2027-02-23T00:59:59.0541234","EUValue":1}]}'
o = at(b, b'"2027')
add('iso_fraction', b, 'NONE', 'DATA', o, o + 29, "Data[0]: ObsTime: invalid time '2027-02-23T00:59:59.0541234': fraction '.0541234' has more than 6 digits (the finest is microseconds)")
b = P + b'{"ObsTime":"2027-054T00:59:59","EUValue":1}]}'
o = at(b, b'"2027')
add('iso_doy', b, 'NONE', 'DATA', o, o + 19, "Data[0]: ObsTime: invalid time '2027-054T00:59:59': expected YYYY-MM-DD, found a day of year '054T00:59:59'")
b = P + b'{"ObsTime":"2027-02-23","EUValue":1}]}'
o = at(b, b'"2027')
add('iso_date_only', b, 'NONE', 'DATA', o, o + 12, "Data[0]: ObsTime: invalid time '2027-02-23': a date without a time of day (expected YYYY-MM-DDThh:mm:ss)")
b = P + b'{"ObsTime":"2027-02-23T00:59","EUValue":1}]}'
o = at(b, b'"2027')
add('iso_no_seconds', b, 'NONE', 'DATA', o, o + 18, "Data[0]: ObsTime: invalid time '2027-02-23T00:59': expected ':' and 2 digits of seconds after hh:mm, found ''")
b = P + b'{"ObsTime":"2027-02-23T00:59:59+25:00","EUValue":1}]}'
o = at(b, b'"2027')
add('iso_offset', b, 'NONE', 'DATA', o, o + 27, "Data[0]: ObsTime: invalid time '2027-02-23T00:59:59+25:00': zone offset '+25:00' out of range (-23:59 to +23:59)")
b = P + b'{"ObsTime":"2027-02-23T00:59:59+1","EUValue":1}]}'
o = at(b, b'"2027')
add('iso_offset_form', b, 'NONE', 'DATA', o, o + 23, "Data[0]: ObsTime: invalid time '2027-02-23T00:59:59+1': zone offset '+1': write it +hh:mm (e.g. -04:00, +00:00)")
b = P + b'{"ObsTime":"2027-02-23T00:59:59Z ","EUValue":1}]}'
o = at(b, b'"2027')
add('iso_trailing', b, 'NONE', 'DATA', o, o + 23, "Data[0]: ObsTime: invalid time '2027-02-23T00:59:59Z ': unexpected ' ' after the time")

# numbers
for name, num, why in [('num_leading_zero', b'01', 'a leading zero'), ('num_dot', b'1.', "no digit after '.'"),
                       ('num_minus', b'-', "no digit after '-'"), ('num_exp', b'1e', 'no digit in the exponent'),
                       ('num_exp_sign', b'1E+', 'no digit in the exponent'), ('num_two_dots', b'1.5.2', 'not a JSON number'),
                       ('num_minus_inf', b'-', "no digit after '-'"), ('num_dash_inside', b'12-3', 'not a JSON number')]:
    tail = b'Infinity}]}' if name == 'num_minus_inf' else b'}]}'
    b = P + b'{"ObsTime":"/Date(1)/","EUValue":' + num + tail
    o = at(b, b'"EUValue":') + 10
    add(name, b, 'NONE', 'DATA', o, o + len(num), "invalid number '%s' (%s)" % (num.decode(), why))
for name, tok in [('num_plus', b'+1'), ('num_bare_dot', b'.5'), ('num_nan', b'NaN'), ('num_infinity', b'Infinity')]:
    b = P + b'{"ObsTime":"/Date(1)/","EUValue":' + tok + b'}]}'
    o = at(b, b'"EUValue":') + 10
    add(name, b, 'NONE', 'DATA', o, o + 1, "expected a value (an object, array, string, number, true, false or null), got '%s'" % chr(tok[0]))
b = P + b'{"ObsTime":"/Date(1)/","EUValue":1e400}]}'
o = at(b, b'1e400')
add('huge_exponent', b, 'REAL', 'DATA', o, o + 5, "huge number '1e400' (beyond the range of a double)")
b = P + b'{"ObsTime":"/Date(1)/","EUValue":-1' + b'0' * 400 + b'}]}'
o = at(b, b'-10')
add('huge_long', b, 'NONE', 'DATA', o, o + 65, "huge number '-1000000000000000000...' (longer than 64 characters)")
b = b'{"x":' + b'9' * 64 + b'0,"Data":null}'
add('huge_skipped', b, 'NONE', 'DATA', 5, 70, "huge number '99999999999999999999...' (longer than 64 characters)")
b = P + b'{"ObsTime":"/Date(1)/","EUValue":1.5}]}'
o = at(b, b'1.5')
add('fraction_to_int', b, 'INT', 'DATA', o, o + 3, 'Data[0]: EUValue 1.5 is not a whole number (the type is tinyint)')
b = P + b'{"ObsTime":"/Date(1)/","EUValue":9223372036854775808}]}'
o = at(b, b'9223')
add('int_overflow', b, 'INT', 'DATA', o, o + 19, 'Data[0]: EUValue 9223372036854775808 is out of range for a 64-bit integer (the type is tinyint)')
b = P + b'{"ObsTime":"/Date(1)/","EUValue":1e19}]}'
o = at(b, b'1e19')
add('exp_overflow_int', b, 'INT', 'DATA', o, o + 4, 'Data[0]: EUValue 1e19 is out of range for a 64-bit integer (the type is tinyint)')
b = P + b'{"ObsTime":"/Date(1)/","EUValue":"2.5"}]}'
o = at(b, b'"2.5"')
add('string_fraction_to_int', b, 'INT', 'DATA', o, o + 5, "Data[0]: EUValue '2.5' is not a whole number (the type is tinyint)")
b = P + b'{"ObsTime":"/Date(1)/","EUValue":"abc"}]}'
o = at(b, b'"abc"')
add('string_to_real', b, 'REAL', 'DATA', o, o + 5, "Data[0]: EUValue 'abc' is not a number (the type is real)")

# grammar
b = b'{"Data":null,}'
add('trailing_comma_object', b, 'NONE', 'DATA', 13, 14, "expected a key (a string) after ',', got '}'")
b = P + S + b',]}'
o = len(P + S) + 1
add('trailing_comma_array', b, 'NONE', 'DATA', o, o + 1, "expected a value (an object, array, string, number, true, false or null), got ']'")
b = b'{"Data":null "x":1}'
add('missing_comma', b, 'NONE', 'DATA', 13, 14, "expected ',' or '}' after a value, got '\"'")
b = P + b'{"ObsTime":"/Date(1)/","EUValue":1x}]}'
o = at(b, b'x}')
add('after_number', b, 'NONE', 'DATA', o, o + 1, "expected ',' or '}' after a value, got 'x'")
b = b'{"Data":null,"x":[1 2]}'
add('missing_comma_array', b, 'NONE', 'DATA', 20, 21, "expected ',' or ']' after a value, got '2'")
b = b'{"Data" null}'
add('missing_colon', b, 'NONE', 'DATA', 8, 9, "expected ':' after a key, got 'n'")
b = b'{Data:null}'
add('bare_key', b, 'NONE', 'DATA', 1, 2, "expected a key (a string) or '}', got 'D'")
b = b'{"Data":nul}'
add('bad_literal', b, 'NONE', 'DATA', 8, 12, "invalid literal 'nul}' (expected true, false or null)")
b = b'{"Data":null,"x":trve}'
add('bad_literal_true', b, 'NONE', 'DATA', 17, 20, "invalid literal 'trv' (expected true, false or null)")
b = b'{"Data":null} x'
add('trailing_garbage', b, 'NONE', 'DATA', 14, 15, "expected nothing after the end of the reply object, got 'x'")
b = b'{"Data":null}{}'
add('second_object', b, 'NONE', 'DATA', 13, 14, "expected nothing after the end of the reply object, got '{'")
b = b'{"Data":null}\x00'
add('trailing_nul', b, 'NONE', 'DATA', 13, 14, "expected nothing after the end of the reply object, got byte 0x00")
b = b'{"x":' + b'[' * 64 + b']' * 64 + b',"Data":null}'
add('deep_nesting', b, 'NONE', 'DATA', 68, 69, 'nesting deeper than 64 levels')
b = b'{"x":' * 65 + b'1' + b'}' * 65
add('deep_objects', b, 'NONE', 'DATA', 320, 321, 'nesting deeper than 64 levels')

# keys
b = b'{"Data":[],"Data":null}'
add('dup_data', b, 'NONE', 'DATA', 11, 17, 'duplicate key "Data" in the reply object')
b = b'{"x":1,"Data":null,"x":2}'
add('dup_unknown_reply', b, 'NONE', 'DATA', 19, 22, 'duplicate key "x" in the reply object')
b = P + b'{"ObsTime":"/Date(1)/","ObsTime":"/Date(2)/","EUValue":1}]}'
o = at(b, b'"ObsTime"', 0, len(P) + 5)
add('dup_obstime', b, 'NONE', 'DATA', o, o + 9, 'duplicate key "ObsTime" in Data[0]')
b = P + S + b',{"a":1,"ObsTime":"/Date(1)/","a":[2],"EUValue":1}]}'
o = at(b, b'"a":[')
add('dup_unknown_sample', b, 'NONE', 'DATA', o, o + 3, 'duplicate key "a" in Data[1]')
b = b'{"' + b'k' * 257 + b'":1,"Data":null}'
add('long_key', b, 'NONE', 'DATA', 1, 260, 'key "' + 'k' * 48 + '..." in the reply object is longer than 256 bytes: not an EDB reply')
b = P + b'{' + b''.join(b'"k%d":0,' % i for i in range(65)) + b'"ObsTime":"/Date(1)/","EUValue":1}]}'
o = at(b, b'"k64"')
add('many_keys', b, 'NONE', 'DATA', o, o + 5, 'more than 64 unknown keys in Data[0]: not an EDB reply')
b = b'{"Count":0}'
add('no_data', b, 'NONE', 'DATA', 10, 11, 'the reply has no Data (not a path B or EDP data reply?)')
b = P + b'{"EUValue":1}]}'
o = at(b, b'}]}')
add('no_obstime', b, 'NONE', 'DATA', o, o + 1, 'Data[0] has no ObsTime')
b = P + S + b',{"ObsTime":"/Date(1)/","EUVal":1}]}'
o = at(b, b'}]}')
add('no_euvalue', b, 'NONE', 'DATA', o, o + 1, 'Data[1] has no EUValue')
b = P + b'{}]}'
o = at(b, b'}]}')
add('empty_sample', b, 'NONE', 'DATA', o, o + 1, 'Data[0] has no ObsTime')

# strings
b = P + b'{"ObsTime":"/Date(1)/","EUValue":"a\xffb"}]}'
o = at(b, b'\xff')
add('utf8_ff', b, 'NONE', 'DATA', o, o + 1, 'invalid UTF-8 in a string (byte 0xff)')
b = b'{"Data":null,"x":"\xc0\xaf"}'
add('utf8_overlong', b, 'NONE', 'DATA', 18, 19, 'invalid UTF-8 in a string (byte 0xc0)')
b = b'{"Data":null,"x":"\xe0\x80\x80"}'
add('utf8_overlong3', b, 'NONE', 'DATA', 19, 20, 'invalid UTF-8 in a string (byte 0x80 where a continuation byte 0xa0-0xbf belongs)')
b = b'{"Data":null,"x":"\xed\xa0\x80"}'
add('utf8_surrogate', b, 'NONE', 'DATA', 19, 20, 'invalid UTF-8 in a string (byte 0xa0 where a continuation byte 0x80-0x9f belongs)')
b = b'{"Data":null,"x":"\xf4\x90\x80\x80"}'
add('utf8_beyond', b, 'NONE', 'DATA', 19, 20, 'invalid UTF-8 in a string (byte 0x90 where a continuation byte 0x80-0x8f belongs)')
b = b'{"Data":null,"\xc3":1}'
add('utf8_cut_key', b, 'NONE', 'DATA', 15, 16, 'invalid UTF-8 in a string (byte 0x22 where a continuation byte 0x80-0xbf belongs)')
b = b'{"Data":null,"x":"\xe2\x82"}'
add('utf8_cut3', b, 'NONE', 'DATA', 20, 21, 'invalid UTF-8 in a string (byte 0x22 where a continuation byte 0x80-0xbf belongs)')
b = b'{"Data":null,"x":"a\nb"}'
add('raw_newline', b, 'NONE', 'DATA', 19, 20, 'control byte 0x0a inside a string (it must be escaped)')
b = P + b'{"ObsTime":"/Date(1)/","EUValue":"a\\xb"}]}'
o = at(b, b'\\x')
add('bad_escape', b, 'NONE', 'DATA', o, o + 2, "invalid escape '\\x' in a string (expected one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)")
b = b'{"Data":null,"x":"\\u12G4"}'
add('bad_hex', b, 'NONE', 'DATA', 22, 23, "invalid \\u escape in a string: 'G' is not a hex digit")
b = b'{"Data":null,"x":"\\ud800x"}'
add('lone_high', b, 'NONE', 'DATA', 18, 25, 'invalid \\u escape in a string: high surrogate \\uD800 without a \\u low surrogate after it')
b = b'{"Data":null,"x":"\\ud800\\n"}'
add('high_then_escape', b, 'NONE', 'DATA', 18, 26, 'invalid \\u escape in a string: high surrogate \\uD800 without a \\u low surrogate after it')
b = b'{"Data":null,"x":"\\uDC00"}'
add('lone_low', b, 'NONE', 'DATA', 18, 24, 'invalid \\u escape in a string: lone low surrogate \\uDC00')
b = b'{"Data":null,"x":"\\ud800\\u0041"}'
add('high_then_bmp', b, 'NONE', 'DATA', 18, 30, 'invalid \\u escape in a string: \\u0041 is not a low surrogate after the high surrogate \\uD800')

# meaning
b = b'{"TlmMnemonic":"SA_ZATTEST2","Data":null}'
add('wrong_mnemonic', b, 'NONE', 'DATA', 15, 28, "the reply is for 'SA_ZATTEST2', not SA_ZATTEST1")
b = P + S + b',{"ObsTime":"/Date(1611628142148)/","EUValue":"ON"}]}'
o = at(b, b'"ON"')
add('mixed_number_first', b, 'NONE', 'DATA', o, o + 4, "Data[1]: EUValue 'ON' is a string that is not a number, but Data[0] is a number: with no type from metadata the values must not mix")
b = P + b'{"ObsTime":"/Date(1)/","EUValue":"ON"},{"ObsTime":"/Date(2)/","EUValue":"3"},{"ObsTime":"/Date(3)/","EUValue":7}]}'
o = at(b, b'7}')
add('mixed_string_first', b, 'NONE', 'DATA', o, o + 1, "Data[2]: EUValue is a number, but Data[0] is the string 'ON', which is not: with no type from metadata the values must not mix")

# truncated
for name, b, where in [
        ('cut_in_string', b'{"Data":[{"ObsTime":"/Date(1', 'inside a string in Data[0]'),
        ('cut_in_number', b'{"Data":[{"ObsTime":"/Date(1)/","EUValue":12', 'inside a number in Data[0]'),
        ('cut_in_literal', b'{"Data":[{"ObsTime":"/Date(1)/","EUValue":tr', 'inside a literal in Data[0]'),
        ('cut_after_sample', b'{"Data":[{"ObsTime":"/Date(1)/","EUValue":1}', 'in the Data array after 1 sample'),
        ('cut_after_comma', b'{"Data":[{"ObsTime":"/Date(1)/","EUValue":1},{"ObsTime":"/Date(2)/","EUValue":2},', 'in the Data array after 2 samples'),
        ('cut_in_reply', b'{"Data":null', 'in the reply object'),
        ('cut_in_escape', b'{"Data":null,"x":"\\u00', 'inside a string in the reply object'),
        ('cut_in_utf8', b'{"Data":null,"x":"\xe2\x82', 'inside a string in the reply object'),
        ('cut_in_skipped', b'{"Data":null,"x":[{"y":[', 'in the reply object'),
        ('only_white_space', b'  \r\n\t', 'before its JSON object'),
        ('only_bom', b'\xef\xbb\xbf', 'before its JSON object')]:
    add(name, b, 'NONE', 'TRUNCATED', len(b), len(b), 'the reply stops %s: cut short?' % where)
cases.append(('empty', b'', 'SA_ZATTEST1', 'NONE', 'TRUNCATED', 'byte 0: empty reply (expected a JSON object): cut short?'))

print('/* Generated by tests/unit/jsondec_cases.py: do not edit. */')
print('static const bad_case bad_cases[] = {')
for name, body, mnem, kind, status, msg in cases:
    print('    {%s, %s, %d, %s, VT_%s, EDB_ERR_%s,\n     %s},' % (cstr(name), clit(body), len(body), cstr(mnem), kind, status, cstr(msg)))
print('};')
