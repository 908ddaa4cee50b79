#include "http_url.hpp"

#include "encoding.hpp"

namespace iiif {
namespace {

bool is_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// RFC 3986's pchar without the escapes (unreserved, sub-delims, ':' and '@'), and '/'.
bool is_path_char(char c) {
    return is_alnum(c) || std::string_view("-._~!$&'()*+,;=:@/").find(c) != std::string_view::npos;
}

std::string host_problem(std::string_view host) {
    if (host.empty()) return "has no host";
    if (host.front() == '[') {
        std::string_view address = host.substr(1, host.size() - 2);
        bool colon = false;
        for (char c : address) {
            if (hex_digit_value(c) < 0 && c != ':' && c != '.')
                return "has a malformed IPv6 address";
            colon = colon || c == ':';
        }
        return colon ? "" : "has a malformed IPv6 address";
    }
    size_t label = 0;  // the length of the label so far
    for (char c : host) {
        if (c == '.') {
            if (label == 0) return "has an empty label in its host";
            label = 0;
        } else if (is_alnum(c) || c == '-') {
            ++label;
        } else {
            return "has a character a host name cannot hold";
        }
    }
    return label == 0 ? "has an empty label in its host" : "";
}

std::string port_problem(std::string_view port) {
    if (port.empty() || port.size() > 5) return "has a bad port";
    unsigned value = 0;
    for (char c : port) {
        if (c < '0' || c > '9') return "has a bad port";
        value = value * 10 + static_cast<unsigned>(c - '0');
    }
    return value >= 1 && value <= 65535 ? "" : "has a bad port";
}

std::string path_problem(std::string_view path) {
    for (size_t i = 0; i < path.size(); ++i) {
        if (path[i] == '%') {
            if (i + 2 >= path.size() || hex_digit_value(path[i + 1]) < 0 ||
                hex_digit_value(path[i + 2]) < 0)
                return "has a bad percent-escape";
            i += 2;
        } else if (!is_path_char(path[i])) {
            return "has a character a URL must percent-encode";
        }
    }
    return "";
}

}  // namespace

std::string http_url_problem(std::string_view url) {
    for (char c : url) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte <= 0x20 || byte == 0x7f) return "must not hold white space or control characters";
        if (byte >= 0x80) return "must be ASCII (percent-encode other characters)";
    }
    size_t scheme = 0;  // the length of "http://" or "https://"
    for (std::string_view known : {"http://", "https://"})
        if (url.starts_with(known)) scheme = known.size();
    if (scheme == 0) return "must be an absolute http or https URL";
    if (url.find('#') != std::string_view::npos) return "must not have a fragment";
    if (url.find('?') != std::string_view::npos) return "must not have a query";

    const std::string_view rest = url.substr(scheme);
    const std::string_view authority = rest.substr(0, rest.find('/'));
    const std::string_view path = rest.substr(authority.size());
    if (authority.find('@') != std::string_view::npos)
        return "must not hold a user name or password";
    // The port's colon: after an IPv6 address's closing bracket, else the only one.
    const size_t host_end = authority.starts_with('[') ? authority.find(']') : authority.find(':');
    std::string_view host = authority.substr(0, host_end);
    std::string_view port_part;
    if (authority.starts_with('[')) {
        if (host_end == std::string_view::npos) return "has a malformed IPv6 address";
        host = authority.substr(0, host_end + 1);
        port_part = authority.substr(host_end + 1);
        if (!port_part.empty() && port_part.front() != ':') return "has a malformed IPv6 address";
    } else if (host_end != std::string_view::npos) {
        port_part = authority.substr(host_end);
    }
    if (std::string problem = host_problem(host); !problem.empty()) return problem;
    if (!port_part.empty()) {
        if (std::string problem = port_problem(port_part.substr(1)); !problem.empty())
            return problem;
    }
    return path_problem(path);
}

}  // namespace iiif
