// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT

#include "json.hpp"

#include <charconv>
#include <system_error>

namespace mosface {
namespace json {

const Value* Value::find(const std::string& key) const {
    if (kind != Kind::object) {
        return nullptr;
    }
    const auto it = object.find(key);
    return it == object.end() ? nullptr : &it->second;
}

const char* kind_name(Value::Kind kind) {
    switch (kind) {
        case Value::Kind::null: return "null";
        case Value::Kind::boolean: return "boolean";
        case Value::Kind::number: return "number";
        case Value::Kind::string: return "string";
        case Value::Kind::array: return "array";
        case Value::Kind::object: return "object";
    }
    return "?";
}

namespace {

class Parser {
public:
    explicit Parser(const std::string& text) : text_(text) {}

    Value document() {
        Value value = parse_value(0);
        skip_space();
        if (pos_ != text_.size()) {
            fail("unexpected text after the JSON value");
        }
        return value;
    }

private:
    static constexpr int kMaxDepth = 64;  // a manifest is shallow; this bounds recursion

    [[noreturn]] void fail(const std::string& what) const {
        throw ParseError(what + " at byte " + std::to_string(pos_));
    }

    void skip_space() {
        while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' ||
                                       text_[pos_] == '\r')) {
            ++pos_;
        }
    }

    bool consume(char c) {
        skip_space();
        if (pos_ < text_.size() && text_[pos_] == c) {
            ++pos_;
            return true;
        }
        return false;
    }

    void expect(char c) {
        if (!consume(c)) {
            fail(std::string("expected '") + c + "'");
        }
    }

    bool consume_word(const char* word) {
        const std::string w(word);
        if (text_.compare(pos_, w.size(), w) == 0) {
            pos_ += w.size();
            return true;
        }
        return false;
    }

    Value parse_value(int depth) {
        if (depth > kMaxDepth) {
            fail("nesting too deep");
        }
        skip_space();
        if (pos_ >= text_.size()) {
            fail("unexpected end of input");
        }
        Value value;
        const char c = text_[pos_];
        if (c == '{') {
            ++pos_;
            value.kind = Value::Kind::object;
            if (consume('}')) {
                return value;
            }
            do {
                skip_space();
                if (pos_ >= text_.size() || text_[pos_] != '"') {
                    fail("expected a string key");
                }
                std::string key = parse_string();
                expect(':');
                value.object[key] = parse_value(depth + 1);
            } while (consume(','));
            expect('}');
        } else if (c == '[') {
            ++pos_;
            value.kind = Value::Kind::array;
            if (consume(']')) {
                return value;
            }
            do {
                value.array.push_back(parse_value(depth + 1));
            } while (consume(','));
            expect(']');
        } else if (c == '"') {
            value.kind = Value::Kind::string;
            value.string = parse_string();
        } else if (consume_word("true")) {
            value.kind = Value::Kind::boolean;
            value.boolean = true;
        } else if (consume_word("false")) {
            value.kind = Value::Kind::boolean;
        } else if (consume_word("null")) {
            value.kind = Value::Kind::null;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            value.kind = Value::Kind::number;
            value.number = parse_number();
        } else {
            fail(std::string("unexpected character '") + c + "'");
        }
        return value;
    }

    // std::from_chars, not strtod: the decimal point is '.' whatever the C locale
    // (GUI toolkits set LC_NUMERIC to a locale that writes ',').
    double parse_number() {
        const char* begin = text_.data() + pos_;
        const char* last = text_.data() + text_.size();
        const char* digits = begin + (*begin == '-' ? 1 : 0);
        if (digits == last || *digits < '0' || *digits > '9') {
            fail("malformed number");  // also refuses from_chars' "inf" and "nan"
        }
        double number = 0;
        const std::from_chars_result result = std::from_chars(begin, last, number);
        if (result.ec == std::errc::result_out_of_range) {
            fail("number out of range");
        }
        if (result.ec != std::errc() || result.ptr == begin) {
            fail("malformed number");
        }
        pos_ += static_cast<std::size_t>(result.ptr - begin);
        return number;
    }

    void append_utf8(std::string& out, unsigned code) {
        if (code < 0x80) {
            out += static_cast<char>(code);
        } else if (code < 0x800) {
            out += static_cast<char>(0xC0 | (code >> 6));
            out += static_cast<char>(0x80 | (code & 0x3F));
        } else if (code < 0x10000) {
            out += static_cast<char>(0xE0 | (code >> 12));
            out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (code & 0x3F));
        } else {
            out += static_cast<char>(0xF0 | (code >> 18));
            out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
            out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (code & 0x3F));
        }
    }

    unsigned parse_hex4() {
        if (pos_ + 4 > text_.size()) {
            fail("truncated \\u escape");
        }
        unsigned code = 0;
        for (int i = 0; i < 4; ++i) {
            const char h = text_[pos_++];
            code <<= 4;
            if (h >= '0' && h <= '9') code |= static_cast<unsigned>(h - '0');
            else if (h >= 'a' && h <= 'f') code |= static_cast<unsigned>(h - 'a' + 10);
            else if (h >= 'A' && h <= 'F') code |= static_cast<unsigned>(h - 'A' + 10);
            else fail("bad hex digit in \\u escape");
        }
        return code;
    }

    std::string parse_string() {
        ++pos_;  // opening quote
        std::string out;
        while (true) {
            if (pos_ >= text_.size()) {
                fail("unterminated string");
            }
            const char c = text_[pos_++];
            if (c == '"') {
                return out;
            }
            if (c != '\\') {
                out += c;
                continue;
            }
            if (pos_ >= text_.size()) {
                fail("unterminated escape");
            }
            const char e = text_[pos_++];
            switch (e) {
                case '"': out += '"'; break;
                case '\\': out += '\\'; break;
                case '/': out += '/'; break;
                case 'b': out += '\b'; break;
                case 'f': out += '\f'; break;
                case 'n': out += '\n'; break;
                case 'r': out += '\r'; break;
                case 't': out += '\t'; break;
                case 'u': {
                    unsigned code = parse_hex4();
                    if (code >= 0xD800 && code < 0xDC00 && consume_word("\\u")) {
                        const unsigned low = parse_hex4();
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                    }
                    append_utf8(out, code);
                    break;
                }
                default: fail(std::string("bad escape '\\") + e + "'");
            }
        }
    }

    const std::string& text_;
    std::size_t pos_ = 0;
};

}  // namespace

Value parse(const std::string& text) { return Parser(text).document(); }

}  // namespace json
}  // namespace mosface
