# The Debian package, made by CPack's DEB generator from the install rules
# (tools/package configures a build with CMAKE_INSTALL_PREFIX=/usr, so that
# GNUInstallDirs gives the multiarch libdir: /usr/lib/x86_64-linux-gnu/forkless).
# Besides the install rules it adds what Debian policy asks of a package: the
# copyright file and a changelog in /usr/share/doc/forkless (both required,
# 12.5 and 12.7), the man pages (man/), stripped binaries, root-owned files.

# Depends: what the packaged binaries need (dpkg-shlibdeps finds libc6 (>= 2.35),
# libgcc-s1 (>= 3.0) and libstdc++6 (>= 11) for them; the packaging test checks
# this list against it), raised to glibc 2.36 because forkless keeps glibc
# 2.36's spawn semantics (its file-actions layout, its system/popen); python3
# runs forkless-run --report and --doctor.
set(FORKLESS_DEB_DEPENDS "libc6 (>= 2.36), libgcc-s1 (>= 3.0), libstdc++6 (>= 11), python3")

set(FORKLESS_DEB_MAINTAINER "forkless maintainers <maintainers@users.noreply.r-seed-16434daa.example>")

set(doc_dir ${CMAKE_INSTALL_DATADIR}/doc/forkless)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/copyright DESTINATION ${doc_dir})
install(FILES ${PROJECT_SOURCE_DIR}/docs/deployment.md DESTINATION ${doc_dir})
configure_file(${CMAKE_CURRENT_LIST_DIR}/changelog.in ${CMAKE_BINARY_DIR}/packaging/changelog @ONLY)
find_program(FORKLESS_PACKAGING_GZIP gzip REQUIRED)
add_custom_command(
  OUTPUT ${CMAKE_BINARY_DIR}/packaging/changelog.gz
  COMMAND ${FORKLESS_PACKAGING_GZIP} -9nc ${CMAKE_BINARY_DIR}/packaging/changelog > ${CMAKE_BINARY_DIR}/packaging/changelog.gz
  DEPENDS ${CMAKE_BINARY_DIR}/packaging/changelog
  VERBATIM)
add_custom_target(forkless-changelog ALL DEPENDS ${CMAKE_BINARY_DIR}/packaging/changelog.gz)
install(FILES ${CMAKE_BINARY_DIR}/packaging/changelog.gz DESTINATION ${doc_dir})

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME forkless)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
# The maintainer is the identity the project's commits are made under.
set(CPACK_PACKAGE_CONTACT "${FORKLESS_DEB_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "cheap process spawning for big multithreaded programs (LD_PRELOAD)")
# The long description only: CPack puts the summary above it as the synopsis.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "forkless is an LD_PRELOAD library that makes system(), popen(),
posix_spawn() and exec-bound fork() calls cheap in processes that hold a
lot of memory and run many threads: spawns are handed to a small helper
process whose children are still the program's own, and fork() call sites
known to exec at once (Node.js, Perl) run vfork-style. The program sees
native results. forkless-run starts a program under it, summarizes its
diagnostics logs (--report) and says whether a program can be served
(--doctor).")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # forkless_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "${FORKLESS_DEB_DEPENDS}")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)
# Only the install rules of the project's own components go in the package.
set(CPACK_SOURCE_GENERATOR "")
include(CPack)
