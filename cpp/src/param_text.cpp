// Copyright 2026 mosface authors
// SPDX-License-Identifier: MIT

#include "param_text.hpp"

#include <algorithm>
#include <cstdlib>
#include <locale>
#include <sstream>

namespace mosface {

namespace {

bool parse_layer(const std::string& line, LayerLine* layer) {
    std::istringstream stream(line);
    for (std::string word; stream >> word;) {
        layer->words.push_back(word);
    }
    if (layer->words.size() < 4) {
        return false;
    }
    const int bottoms = std::atoi(layer->words[2].c_str());
    const int tops = std::atoi(layer->words[3].c_str());
    if (bottoms < 0 || tops < 0 || layer->words.size() < 4u + bottoms + tops) {
        return false;
    }
    layer->bottoms.assign(layer->words.begin() + 4, layer->words.begin() + 4 + bottoms);
    layer->tops.assign(layer->words.begin() + 4 + bottoms, layer->words.begin() + 4 + bottoms + tops);
    layer->first_param = 4u + bottoms + tops;
    for (std::size_t i = layer->first_param; i < layer->words.size(); ++i) {
        const std::string& word = layer->words[i];
        const std::size_t equals = word.find('=');
        if (equals != std::string::npos) {
            layer->params[std::atoi(word.substr(0, equals).c_str())] = word.substr(equals + 1);
        }
    }
    return true;
}

}  // namespace

int LayerLine::int_param(int id, int fallback) const {
    const auto found = params.find(id);
    return found == params.end() ? fallback : std::atoi(found->second.c_str());
}

std::string LayerLine::rewritten(const std::map<int, std::string>& set, const std::vector<int>& drop) const {
    std::string line;
    for (std::size_t i = 0; i < first_param; ++i) {
        line += (i ? " " : "") + words[i];
    }
    for (std::size_t i = first_param; i < words.size(); ++i) {
        const int id = std::atoi(words[i].c_str());
        if (set.count(id) == 0 && std::find(drop.begin(), drop.end(), id) == drop.end()) {
            line += " " + words[i];
        }
    }
    for (const auto& [id, value] : set) {
        line += " " + std::to_string(id) + "=" + value;
    }
    return line;
}

ParamText ParamText::parse(const std::string& text) {
    ParamText param;
    std::istringstream stream(text);
    for (std::string line; std::getline(stream, line);) {
        param.lines.push_back(line);
    }
    param.layers.resize(param.lines.size());
    for (std::size_t i = 2; i < param.lines.size(); ++i) {
        if (!parse_layer(param.lines[i], &param.layers[i])) {
            param.layers[i] = LayerLine{};
        }
    }
    return param;
}

std::string ParamText::text() const {
    std::string text;
    for (const std::string& line : lines) {
        text += line + "\n";
    }
    return text;
}

std::vector<std::size_t> ParamText::readers_of(const std::string& blob) const {
    std::vector<std::size_t> readers;
    for (std::size_t i = 0; i < layers.size(); ++i) {
        for (const std::string& bottom : layers[i].bottoms) {
            if (bottom == blob) {
                readers.push_back(i);
            }
        }
    }
    return readers;
}

double param_number(const std::string& text) {
    std::istringstream stream(text);
    stream.imbue(std::locale::classic());
    double value = 0.0;
    return stream >> value ? value : 1.0;
}

}  // namespace mosface
