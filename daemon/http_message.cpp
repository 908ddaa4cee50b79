#include "http_message.hpp"

#include <algorithm>
#include <stdexcept>

namespace iiifd {
namespace {

char lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

}  // namespace

bool same_header_name(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                              [](char x, char y) { return lower(x) == lower(y); });
}

bool HttpRequest::has_header(std::string_view name) const {
    return get_header_value_count(name) > 0;
}

std::string HttpRequest::get_header_value(std::string_view name, size_t index) const {
    for (const auto& [key, value] : headers) {
        if (!same_header_name(key, name)) continue;
        if (index == 0) return value;
        --index;
    }
    return {};
}

size_t HttpRequest::get_header_value_count(std::string_view name) const {
    return static_cast<size_t>(
        std::count_if(headers.begin(), headers.end(),
                      [&](const auto& field) { return same_header_name(field.first, name); }));
}

bool HttpRequest::has_param(std::string_view name) const {
    return std::any_of(params.begin(), params.end(),
                       [&](const auto& field) { return field.first == name; });
}

std::string HttpRequest::get_param_value(std::string_view name) const {
    for (const auto& [key, value] : params)
        if (key == name) return value;
    return {};
}

bool HttpRequest::is_multipart_form_data() const {
    const std::string type = get_header_value("Content-Type");
    constexpr std::string_view kMultipart = "multipart/form-data";
    return type.size() >= kMultipart.size() &&
           same_header_name(std::string_view(type).substr(0, kMultipart.size()), kMultipart);
}

void HttpResponse::set_header(std::string name, std::string value) {
    if (name.find_first_of("\r\n") != std::string::npos ||
        value.find_first_of("\r\n") != std::string::npos)
        throw std::invalid_argument("a line break in the header " + name);
    headers.emplace_back(std::move(name), std::move(value));
}

bool HttpResponse::has_header(std::string_view name) const {
    return std::any_of(headers.begin(), headers.end(),
                       [&](const auto& field) { return same_header_name(field.first, name); });
}

void HttpResponse::set_content(std::string content, std::string content_type) {
    body = std::move(content);
    std::erase_if(headers,
                  [](const auto& field) { return same_header_name(field.first, "Content-Type"); });
    headers.emplace_back("Content-Type", std::move(content_type));
}

}  // namespace iiifd
