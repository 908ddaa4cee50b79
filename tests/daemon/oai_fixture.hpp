// The test servers of tests/harvest/ (fixture_provider.py, an OAI-PMH provider with the quirks
// of real ones; static_server.py, files, redirects and delays), started by a test on a free
// loopback port (the script picks one and writes it to a file) and stopped by their pid; the
// requests they logged. For the harvester's, the harvest runs' and the record images' tests.
#pragma once

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "api_harness.hpp"

namespace daemon_harness {

// One request as the fixture logged it.
struct Logged {
    std::string query;
    long long port;
    std::string accept_encoding;
    std::string user_agent;
    std::string coding;
    long long status;
};

// A test server of tests/harvest/ (a Python script of the standard library) in a temporary
// directory of its own: started with `--port-file DIR/port --log DIR/requests.log` and the
// arguments given, on the loopback port it picks; stopped by its pid.
class ScriptServer {
  public:
    ScriptServer(const std::string& script, const std::vector<std::string>& arguments) {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "script-server-XXXXXX").string();
        if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
        dir_ = pattern;
        const std::string port_file = dir_ + "/port";
        std::vector<std::string> command = {"/usr/bin/python3",
                                            IIIF_SOURCE_DIR "/tests/harvest/" + script,
                                            "--port-file",
                                            port_file,
                                            "--log",
                                            dir_ + "/requests.log"};
        command.insert(command.end(), arguments.begin(), arguments.end());
        pid_ = fork();
        if (pid_ < 0) throw std::runtime_error("fork failed");
        if (pid_ == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            std::vector<char*> argv;
            for (const std::string& argument : command)
                argv.push_back(const_cast<char*>(argument.c_str()));
            argv.push_back(nullptr);
            execv(argv[0], argv.data());
            _exit(127);
        }
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (!std::filesystem::exists(port_file)) {
            if (std::chrono::steady_clock::now() > deadline ||
                waitpid(pid_, nullptr, WNOHANG) == pid_) {
                pid_ = -1;
                throw std::runtime_error(script + " did not start");
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        port_ = std::stoi(read_file(port_file));
    }

    ~ScriptServer() {
        stop();
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }

    ScriptServer(const ScriptServer&) = delete;
    ScriptServer& operator=(const ScriptServer&) = delete;

    // SIGTERM, then at most 5 s: its exit status (-1: it had to be killed).
    int stop() {
        if (pid_ < 0) return exit_status_;
        kill(pid_, SIGTERM);
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        int status = 0;
        while (waitpid(pid_, &status, WNOHANG) != pid_) {
            if (std::chrono::steady_clock::now() > deadline) {
                kill(pid_, SIGKILL);
                waitpid(pid_, nullptr, 0);
                pid_ = -1;
                return exit_status_ = -1;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        pid_ = -1;
        return exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }

    std::string url(const std::string& path) const {
        return "http://127.0.0.1:" + std::to_string(port_) + path;
    }

    // The log's lines, one JSON object per request.
    std::vector<std::string> log_lines() const {
        std::vector<std::string> lines;
        const std::string log = read_file(dir_ + "/requests.log");
        std::size_t start = 0;
        for (std::size_t end = log.find('\n'); end != std::string::npos;
             start = end + 1, end = log.find('\n', start))
            lines.push_back(log.substr(start, end - start));
        return lines;
    }

  private:
    std::string dir_;
    pid_t pid_ = -1;
    int port_ = 0;
    int exit_status_ = -1;
};

// tests/harvest/fixture_provider.py with the quirks `config` describes (its docstring).
class Fixture : public ScriptServer {
  public:
    explicit Fixture(const std::string& config = "{}")
        : ScriptServer("fixture_provider.py", {"--config", config}) {}

    std::string base_url() const { return url("/oai"); }

    std::vector<Logged> requests() const {
        std::vector<Logged> logged;
        for (const std::string& line : log_lines())
            logged.push_back({json_text(line, "query"), json_integer(line, "port"),
                              json_text(line, "accept_encoding"), json_text(line, "user_agent"),
                              json_text(line, "coding"), json_integer(line, "status")});
        return logged;
    }

    std::vector<std::string> queries() const {
        std::vector<std::string> all;
        for (const Logged& request : requests()) all.push_back(request.query);
        return all;
    }
};

}  // namespace daemon_harness
